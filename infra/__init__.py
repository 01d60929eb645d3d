"""The Kairos CDK app: one stack per brand and stage (`cdk.json` at the repository root)."""
