"""Channel adapters: LINE (line-bot-sdk), email (SES v2) and SMS (SNS), each behind the
small interface in `base`, so the sender's logic never sees a provider's SDK."""
