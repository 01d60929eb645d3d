"""DynamoDB adapters: the only part of Kairos that talks to boto3 for data."""
