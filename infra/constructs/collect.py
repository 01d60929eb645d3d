"""The website's collect route in the stack (docs/tracking.md): its sites, the LIFF
channel, and a WAF web ACL on the API stage with a rate-based rule per client address.

Context (`-c kairos:…`):
- `collectSites`: JSON `[{"key": "pk_live_…", "origins": ["https://shop.example"]}]`.
  Publishable keys are not secrets (they sit in the brand's pages): they only say which
  site sends. Rotate by listing the new key beside the old one, deploying, moving the
  pages to it, then dropping the old one. Empty: `/collect` refuses every key.
- `liffChannelId`: the LINE Login channel of the brand's LIFF app (its ID tokens prove a
  visitor's LINE user id).
- `collectRateLimit`: requests per client address in any 5 minutes to `/collect` before
  WAF blocks that address (default COLLECT_RATE_LIMIT).

CORS is answered by the function itself, precisely (the listed origins only, `Vary:
Origin`, the preflight on `OPTIONS /collect`); the snippet is `GET /collect/kairos.js`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct, Node

from infra.config import ConfigError

COLLECT_RATE_LIMIT = 600
"""Per client address per 5 minutes: a shopper sends a batch every few pages (the
snippet batches up to 20 events), so 600 is far above any person and well below a flood."""
_ORIGIN_PREFIXES = ("https://", "http://localhost", "http://127.0.0.1")


@dataclass(frozen=True)
class CollectSettings:
    sites: str
    """The sites as the function reads them (`KAIROS_COLLECT_SITES`)."""
    liff_channel_id: str
    rate_limit: int

    @classmethod
    def from_context(cls, node: Node) -> CollectSettings:
        raw = node.try_get_context("kairos:collectSites") or []
        try:
            sites = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError as exc:
            raise ConfigError(f"kairos:collectSites: not JSON ({exc.msg})") from None
        if not isinstance(sites, list):
            raise ConfigError("kairos:collectSites: a list of {key, origins}")
        for site in sites:
            key, origins = site.get("key"), site.get("origins")
            if not isinstance(key, str) or not key.startswith("pk_"):
                raise ConfigError(f"kairos:collectSites: key {key!r} must start with pk_")
            if not origins or not all(
                isinstance(o, str) and o.startswith(_ORIGIN_PREFIXES) for o in origins
            ):
                raise ConfigError(
                    f"kairos:collectSites: {key}: origins are https:// addresses (or localhost)"
                )
        limit = int(node.try_get_context("kairos:collectRateLimit") or COLLECT_RATE_LIMIT)
        if limit < 10:
            raise ConfigError("kairos:collectRateLimit: WAF needs at least 10")
        return cls(
            sites=json.dumps(sites, separators=(",", ":")),
            liff_channel_id=str(node.try_get_context("kairos:liffChannelId") or ""),
            rate_limit=limit,
        )


class CollectFirewall(Construct):
    """A regional web ACL on the API stage: per client address, at most `rate_limit`
    requests to `/collect` in any 5 minutes; everything else passes to the function."""

    def __init__(
        self, scope: Construct, construct_id: str, *, api: apigw.RestApi, prefix: str,
        rate_limit: int,
    ) -> None:  # fmt: skip
        super().__init__(scope, construct_id)
        rule = wafv2.CfnWebACL.RuleProperty(
            name="collect-rate-per-ip",
            priority=0,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",
                    limit=rate_limit,
                    evaluation_window_sec=300,
                    scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                            positional_constraint="CONTAINS",
                            search_string="/collect",
                            text_transformations=[
                                wafv2.CfnWebACL.TextTransformationProperty(
                                    priority=0, type="LOWERCASE"
                                )
                            ],
                        )
                    ),
                )
            ),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=f"{prefix}-collect-rate",
                sampled_requests_enabled=True,
            ),
        )
        self.acl = wafv2.CfnWebACL(
            self,
            "Acl",
            name=f"{prefix}-api",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=[rule],
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=f"{prefix}-api",
                sampled_requests_enabled=True,
            ),
        )
        association = wafv2.CfnWebACLAssociation(
            self,
            "Association",
            resource_arn=api.deployment_stage.stage_arn,
            web_acl_arn=self.acl.attr_arn,
        )
        association.node.add_dependency(api.deployment_stage)
