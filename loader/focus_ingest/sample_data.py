"""Deterministic, realistic FOCUS 1.0 billing data for the demo, the tests and the benchmarks.

The rows imitate the FinOps Foundation's public sample (``reference/focus-samples/focus_sample_1000.csv``):
the same 44 columns in the same order (``Id`` and JSON ``Tags`` included), a bare ``NULL`` for empty values,
``YYYY-MM-DD HH:MM:SS`` timestamps, amounts with 11 decimals, strings quoted and numbers bare in the CSV.
Several providers, many sub-accounts with names and tagged resources, matching ServiceCategory/ServiceName
pairs, mostly ``Usage`` with some Savings Plan coverage, ``Purchase``, ``Tax`` and a few negative ``Credit``
rows. Apart from those sample quirks every value is valid FOCUS 1.0, so a file built from it fails
validation only where a caller breaks it on purpose (see ``write_demo_tree``).

Generation is vectorised with ``pyarrow.compute`` (numpy is not a dependency): benchmarks need millions of
rows. A seed fixes the catalogue of accounts and resources; the month and the file number pick the rows,
so the files of one month and the months of one seed share their accounts and resources, like a real export.
"""

from __future__ import annotations

import calendar
import gzip
import hashlib
import json
import logging
import random
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from focus_ingest.months import add_months, month_of, months_between

log = logging.getLogger(__name__)

FOCUS_COLUMNS: tuple[str, ...] = (
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription",
    "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory",
    "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost",
    "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType",
    "ServiceCategory", "Id", "ServiceName", "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "Tags",
)  # fmt: skip
"""Column order of the public sample, which real exports keep."""

NULL = "NULL"
"""How the sample (and many real exports) write an empty value."""

SECOND_CURRENCY_PROVIDER = "Microsoft"
"""The provider billed in ``second_currency`` when a caller asks for two currencies."""

# The sample writes numbers bare and every other non-null value in quotes; readers must cope with both.
_BARE_COLUMNS = frozenset(
    {"BilledCost", "ConsumedQuantity", "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "ListCost",
     "PricingQuantity", "Id"}
)  # fmt: skip
_MONEY_DECIMALS = 11
_QUANTITY_PAD = "0000"  # the sample's ConsumedQuantity is PricingQuantity with 15 instead of 11 decimals
_WEIGHT_RESOLUTION = 8192  # entries of the lookup table that turns one uniform draw into a weighted choice
_WRITE_CHUNK_ROWS = 100_000  # bounds memory (and Arrow's 2 GiB string limit) while writing large files
_DEMO_SEED = 2024
_DEMO_ROWS_PER_FILE = 300
_DEMO_BROKEN_ROWS = 60
_DEMO_SECOND_CURRENCY = "EUR"
_BROKEN_CURRENCY = "US$"
_BROKEN_CURRENCY_ROWS = 2


@dataclass(frozen=True)
class _Provider:
    name: str
    invoice_issuer: str
    billing_account_id: str
    regions: tuple[tuple[str, str], ...]  # (RegionId, RegionName), most used first
    sub_accounts: int
    contracted_discount: float  # negotiated discount off list price


@dataclass(frozen=True)
class _Sku:
    """One priced item of a provider's catalogue; rows are drawn from its resources."""

    provider: str
    service_category: str
    service_name: str
    description: str
    unit: str | None  # PricingUnit and ConsumedUnit; None for Tax and Credit rows
    unit_price: str | None  # ListUnitPrice as printed; None for Tax and Credit rows (amount only)
    quantity: tuple[float, float]  # per charge period, drawn log-uniformly
    weight: int  # relative share of rows
    resources: int  # distinct resources (or account/region pairs) the rows are spread over
    resource_type: str | None = None
    resource_id: str = ""  # str.format pattern, see _resource_fields
    period: str = "hour"  # hour, day or month
    charge_category: str = "Usage"
    zonal: bool = False
    regional: bool = True
    savings_plan: bool = False  # usage covered by the payer's Savings Plan
    publisher: str | None = None  # a marketplace seller; default is the provider


_PROVIDERS: dict[str, _Provider] = {
    "AWS": _Provider(
        "AWS", "Amazon Web Services, Inc.", "{payer}",
        (("us-east-1", "US East (N. Virginia)"), ("us-west-2", "US West (Oregon)"),
         ("eu-central-1", "EU (Frankfurt)"), ("us-east-2", "US East (Ohio)"), ("eu-west-1", "EU (Ireland)"),
         ("ap-southeast-1", "Asia Pacific (Singapore)"), ("ap-northeast-1", "Asia Pacific (Tokyo)")),
        sub_accounts=36, contracted_discount=0.0,
    ),
    "Microsoft": _Provider(
        "Microsoft", "Microsoft", "/providers/Microsoft.Billing/billingAccounts/{number7}",
        (("eastus", "East US"), ("westeurope", "West Europe"), ("eastus2", "East US 2"),
         ("northeurope", "North Europe")),
        sub_accounts=9, contracted_discount=0.1,
    ),
    "Oracle": _Provider(
        "Oracle", "Oracle", "{number8}",
        (("us-ashburn-1", "US East (Ashburn)"), ("eu-frankfurt-1", "Germany Central (Frankfurt)")),
        sub_accounts=4, contracted_discount=0.0,
    ),
}  # fmt: skip

_SKUS: tuple[_Sku, ...] = (
    # AWS
    _Sku("AWS", "Compute", "Amazon Elastic Compute Cloud",
         "$0.0416 per On Demand Linux t3.medium Instance Hour", "Hours", "0.0416", (1, 1), 120, 24,
         "instance", "i-0{hex16}", zonal=True),
    _Sku("AWS", "Compute", "Amazon Elastic Compute Cloud",
         "$0.192 per On Demand Linux m6i.xlarge Instance Hour", "Hours", "0.192", (1, 1), 60, 12,
         "instance", "i-0{hex16}", zonal=True),
    _Sku("AWS", "Compute", "Amazon Elastic Compute Cloud",
         "Compute Savings Plans covered usage: Linux m6i.2xlarge Instance Hour", "Hours", "0.384", (1, 1),
         45, 8, "instance", "i-0{hex16}", zonal=True, savings_plan=True),
    _Sku("AWS", "Storage", "Amazon Elastic Compute Cloud",
         "$0.08 per GB-month of General Purpose (gp3) provisioned storage", "GB-Months", "0.08",
         (0.01, 1.5), 80, 30, "volume", "vol-0{hex16}", zonal=True),
    _Sku("AWS", "Storage", "Amazon Elastic Compute Cloud", "$0.05 per GB-Month of snapshot data stored",
         "GB-Months", "0.05", (0.5, 40), 15, 10, "snapshot",
         "arn:aws:ec2:{region}:{account}:snapshot/snap-0{hex16}", period="day"),
    _Sku("AWS", "Networking", "Amazon Elastic Compute Cloud",
         "$0.090 per GB - first 10 TB / month data transfer out beyond the global free tier", "GB", "0.09",
         (0.0001, 5), 55, 12),
    _Sku("AWS", "Networking", "Amazon Elastic Compute Cloud",
         "$0.010 per GB - regional data transfer - in/out/between EC2 AZs or using elastic IPs or ELB",
         "GB", "0.01", (0.0001, 3), 40, 12),
    _Sku("AWS", "Networking", "Amazon Virtual Private Cloud", "$0.005 per In-use public IPv4 address per hour",
         "Hours", "0.005", (1, 1), 30, 14, "elastic-ip",
         "arn:aws:ec2:{region}:{account}:elastic-ip/eipalloc-0{hex16}"),
    _Sku("AWS", "Networking", "Elastic Load Balancing",
         "$0.0225 per Application LoadBalancer-hour (or partial hour)", "Hours", "0.0225", (1, 1), 25, 6,
         "loadbalancer", "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/{hex16}"),
    _Sku("AWS", "Networking", "Elastic Load Balancing",
         "$0.008 per used Application load balancer capacity unit-hour (or partial hour)", "LCU-Hours",
         "0.008", (0.001, 2), 25, 6, "loadbalancer",
         "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/{hex16}"),
    _Sku("AWS", "Storage", "Amazon Simple Storage Service",
         "$0.023 per GB - first 50 TB / month of storage used", "GB-Months", "0.023", (0.01, 300), 30, 12,
         "bucket", "{name}-{account}", period="day"),
    _Sku("AWS", "Storage", "Amazon Simple Storage Service",
         "$0.005 per 1,000 PUT, COPY, POST, or LIST requests", "Requests", "0.000005", (10, 50000), 25, 12,
         "bucket", "{name}-{account}"),
    _Sku("AWS", "Databases", "Amazon Relational Database Service",
         "$0.178 per RDS db.m6g.large Single-AZ instance hour (or partial hour) running PostgreSQL", "Hours",
         "0.178", (1, 1), 20, 5, "db", "arn:aws:rds:{region}:{account}:db:{name}"),
    _Sku("AWS", "Databases", "Amazon DynamoDB", "$1.25 per million write request units",
         "WriteRequestUnits", "0.00000125", (100, 2_000_000), 10, 6, "table",
         "arn:aws:dynamodb:{region}:{account}:table/{name}"),
    _Sku("AWS", "Compute", "AWS Lambda", "$0.0000166667 for every GB-second of compute",
         "Lambda-GB-Second", "0.0000166667", (1, 20000), 15, 10, "function",
         "arn:aws:lambda:{region}:{account}:function:{name}"),
    _Sku("AWS", "Compute", "Amazon Elastic Container Service",
         "$0.04048 per hour per vCPU for AWS Fargate", "vCPU-Hours", "0.04048", (0.25, 8), 20, 6, "cluster",
         "arn:aws:ecs:{region}:{account}:cluster/{name}"),
    _Sku("AWS", "Management and Governance", "AmazonCloudWatch", "$0.50 per GB - custom log data ingested",
         "GB", "0.5", (0.001, 2), 20, 10, "log-group", "arn:aws:logs:{region}:{account}:log-group:/aws/{name}"),
    _Sku("AWS", "Management and Governance", "AmazonCloudWatch", "$0.30 per metric-month - first 10,000 metrics",
         "Metrics", "0.3", (0.1, 50), 10, 8, period="day"),
    _Sku("AWS", "Networking", "Amazon CloudFront", "$0.085 per GB - first 10 TB / month data transfer out",
         "GB", "0.085", (0.001, 20), 10, 4, "distribution",
         "arn:aws:cloudfront::{account}:distribution/E{upper13}", regional=False),
    _Sku("AWS", "Integration", "Amazon Simple Queue Service", "$0.40 per million Amazon SQS standard requests",
         "Requests", "0.0000004", (10, 500000), 10, 6, "queue", "arn:aws:sqs:{region}:{account}:{name}"),
    _Sku("AWS", "Security", "AWS Key Management Service", "$0.03 per 10,000 requests", "Requests",
         "0.000003", (1, 20000), 5, 4, "key", "arn:aws:kms:{region}:{account}:key/{uuid}"),
    _Sku("AWS", "AI and Machine Learning", "Amazon SageMaker", "$0.23 per On-Demand Notebook ml.m5.xlarge hour",
         "Hours", "0.23", (1, 1), 8, 3, "notebook-instance",
         "arn:aws:sagemaker:{region}:{account}:notebook-instance/{name}"),
    _Sku("AWS", "Compute", "Red Hat OpenShift Service on AWS", "$0.171 per 4 vCPU hour", "Hours", "0.171",
         (4, 16), 3, 2, publisher="Red Hat Inc."),
    _Sku("AWS", "Other", "AWS Support (Business)", "AWS Support (Business) monthly fee", "Units", "100",
         (1, 1), 1, 1, period="month", charge_category="Purchase", regional=False),
    _Sku("AWS", "Compute", "Amazon Elastic Compute Cloud", "Tax for product code AmazonEC2", None, None,
         (0.5, 40), 2, 4, period="month", charge_category="Tax"),
    _Sku("AWS", "Compute", "Amazon Elastic Compute Cloud", "AWS Activate Promotional Credits", None, None,
         (0.5, 25), 2, 4, charge_category="Credit"),
    # Microsoft
    _Sku("Microsoft", "Compute", "Virtual Machines", "D4s v5 - Linux", "Hours", "0.192", (1, 1), 30, 10,
         "Virtual machine", "{account}/resourcegroups/{group}/providers/microsoft.compute/virtualmachines/{name}"),
    _Sku("Microsoft", "Storage", "Storage Accounts", "Hot LRS Data Stored", "GB-Months", "0.0184",
         (0.1, 500), 20, 8, "Storage account",
         "{account}/resourcegroups/{group}/providers/microsoft.storage/storageaccounts/{compact}", period="day"),
    _Sku("Microsoft", "Storage", "Storage Accounts", "Hot LRS Write Operations", "Requests", "0.0000055",
         (100, 100000), 10, 8, "Storage account",
         "{account}/resourcegroups/{group}/providers/microsoft.storage/storageaccounts/{compact}"),
    _Sku("Microsoft", "Databases", "Azure SQL Database", "General Purpose - Compute Gen5 - vCore", "Hours",
         "0.2522", (2, 8), 10, 4, "SQL database",
         "{account}/resourcegroups/{group}/providers/microsoft.sql/servers/{name}/databases/{name}"),
    _Sku("Microsoft", "Compute", "Azure Kubernetes Service", "Standard Uptime SLA", "Hours", "0.1", (1, 1), 5,
         3, "Kubernetes service",
         "{account}/resourcegroups/{group}/providers/microsoft.containerservice/managedclusters/{name}"),
    _Sku("Microsoft", "AI and Machine Learning", "Azure Machine Learning", "NCasT4 v3 - GPU", "Hours", "0.526",
         (1, 1), 4, 2, "Machine learning workspace",
         "{account}/resourcegroups/{group}/providers/microsoft.machinelearningservices/workspaces/{name}"),
    # Oracle
    _Sku("Oracle", "Compute", "COMPUTE", "Standard - E4 - OCPU", "OCPU Hours", "0.025", (1, 8), 6, 4, "instance",
         "ocid1.instance.oc1.{region}.{ocid}", zonal=True),
    _Sku("Oracle", "Compute", "COMPUTE", "Standard - E4 - Memory", "GB Hours", "0.0015", (8, 64), 6, 4,
         "instance", "ocid1.instance.oc1.{region}.{ocid}", zonal=True),
    _Sku("Oracle", "Storage", "BLOCK_STORAGE", "Block Volume - Storage", "GB Months", "0.0255", (0.05, 2), 4, 4,
         "bootvolume", "ocid1.bootvolume.oc1.{region}.{ocid}", zonal=True),
    _Sku("Oracle", "Networking", "NETWORK", "Outbound Data Transfer Zone 1", "GB", "0.0085", (0.001, 10), 3,
         3, "vnic", "ocid1.vnic.oc1.{region}.{ocid}"),
)  # fmt: skip

_FREQUENCY = {"Usage": "Usage-Based", "Purchase": "Recurring", "Tax": "One-Time", "Credit": "One-Time"}
_PERIOD_HOURS = {"hour": 1, "day": 24}  # "month" spans the whole month
_WORDS = (
    "Atlas", "Orion", "Zenith", "Nimbus", "Pioneer", "Odyssey", "Horizon", "Eclipse", "Aurora", "Summit",
    "Vertex", "Beacon", "Comet", "Falcon", "Harbor", "Meridian", "Nova", "Quartz", "Sierra", "Tundra",
)  # fmt: skip
_WORKLOADS = ("orders", "billing", "search", "checkout", "ledger", "reports", "catalog", "auth", "ingest",
              "analytics", "payments", "media")  # fmt: skip
_ENVIRONMENTS = ("prod", "dev", "staging")
_BUSINESS_UNITS = ("PlatformEng", "DataScience", "Retail", "Finance", "Marketing", "Security")
_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def _derived_seed(*parts: object) -> int:
    """A stable 63-bit seed from several parts (``hash()`` of a str changes between processes)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _month_bounds(month: str) -> tuple[datetime, int]:
    """First instant and number of hours of a ``YYYY-MM`` month; rejects anything else."""
    try:
        start = datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise ValueError(f"month must be YYYY-MM, got {month!r}") from None
    if f"{start:%Y-%m}" != month:
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    return start, calendar.monthrange(start.year, start.month)[1] * 24


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _sub_accounts(provider: _Provider, rng: random.Random) -> list[tuple[str, str]]:
    """(SubAccountId, SubAccountName) pairs in the provider's id format."""
    accounts: list[tuple[str, str]] = []
    names: set[str] = set()
    while len(accounts) < provider.sub_accounts:
        name = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}"
        if name in names or name.split()[0] == name.split()[1]:
            continue
        names.add(name)
        if provider.name == "AWS":
            account_id = str(rng.randrange(10**11, 10**12))
        elif provider.name == "Microsoft":
            account_id = f"/subscriptions/{_uuid(rng)}"
        else:
            account_id = "ocid1.tenancy.oc1.." + "aaaaaaaa" + "".join(rng.choices(_B32, k=52))
        accounts.append((account_id, name))
    return accounts


def _uuid(rng: random.Random) -> str:
    hexits = f"{rng.getrandbits(128):032x}"
    return f"{hexits[:8]}-{hexits[8:12]}-{hexits[12:16]}-{hexits[16:20]}-{hexits[20:]}"


def _tags(rng: random.Random, workload: str, environment: str) -> str:
    """JSON tags like the sample's, or NULL for the untagged third of the resources."""
    if rng.random() < 0.3:
        return NULL
    application = f"{workload.capitalize()}{rng.choice(_WORDS)}"
    return json.dumps(
        {"application": application, "environment": environment, "business_unit": rng.choice(_BUSINESS_UNITS)}
    )


def _sku_ids(sku: _Sku) -> tuple[str, str]:
    """SkuId and SkuPriceId in the provider's style, fixed per catalogue item whatever the seed."""
    digest = hashlib.sha256(f"{sku.provider}|{sku.service_name}|{sku.description}".encode()).digest()
    if sku.provider == "AWS":
        sku_id = "".join("ABCDEFGHJKMNPQRSTUVWXYZ23456789"[b % 31] for b in digest[:16])
        return sku_id, f"{sku_id}.JRTCKXETXF.6YS6EN2CT7"
    if sku.provider == "Microsoft":
        sku_id = str(1_000_000 + int.from_bytes(digest[:4], "big") % 9_000_000)
        return sku_id, sku_id
    return f"B{90000 + int.from_bytes(digest[:4], 'big') % 10000}", NULL


def _catalog(seed: int) -> pa.Table:
    """One row per (SKU, resource): every per-resource value a generated row copies, plus its weight.

    Resources belong to one sub-account and region for good, so their rows agree with each other.
    """
    rng = random.Random(_derived_seed("catalog", seed))
    accounts = {name: _sub_accounts(provider, rng) for name, provider in _PROVIDERS.items()}
    fills = {
        "payer": str(rng.randrange(10**11, 10**12)),
        "number7": str(rng.randrange(10**6, 10**7)),
        "number8": str(rng.randrange(10**7, 10**8)),
    }
    billing_accounts = {name: p.billing_account_id.format(**fills) for name, p in _PROVIDERS.items()}
    savings_plan_id = f"arn:aws:savingsplans::{fills['payer']}:savingsplan/{_uuid(rng)}"
    entries: list[dict[str, object]] = []
    for sku in _SKUS:
        provider = _PROVIDERS[sku.provider]
        sku_id, sku_price_id = _sku_ids(sku)
        # A few big accounts and regions carry most of the spend, as in the sample.
        account_weights = [1 / (rank + 1) for rank in range(len(accounts[sku.provider]))]
        region_weights = [1 / (rank + 1) for rank in range(len(provider.regions))]
        for _ in range(sku.resources):
            account_id, account_name = rng.choices(accounts[sku.provider], account_weights)[0]
            region_id, region_name = rng.choices(provider.regions, region_weights)[0]
            workload, environment = rng.choice(_WORKLOADS), rng.choice(_ENVIRONMENTS)
            resource_id, resource_name = _resource_fields(sku, rng, account_id, region_id, workload, environment)
            entries.append(
                {
                    "AvailabilityZone": _availability_zone(sku, rng, region_id),
                    "BillingAccountId": billing_accounts[sku.provider],
                    "BillingAccountName": "Northwind Traders",
                    "ChargeCategory": sku.charge_category,
                    "ChargeClass": NULL,
                    "ChargeDescription": sku.description,
                    "ChargeFrequency": _FREQUENCY[sku.charge_category],
                    "CommitmentDiscountCategory": "Spend" if sku.savings_plan else NULL,
                    "CommitmentDiscountId": savings_plan_id if sku.savings_plan else NULL,
                    "CommitmentDiscountName": "Compute Savings Plan 1 year No Upfront" if sku.savings_plan else NULL,
                    "CommitmentDiscountStatus": "Used" if sku.savings_plan else NULL,
                    "CommitmentDiscountType": "Compute Savings Plan" if sku.savings_plan else NULL,
                    "ConsumedUnit": sku.unit if sku.charge_category == "Usage" and sku.unit else NULL,
                    "InvoiceIssuerName": provider.invoice_issuer,
                    "ListUnitPrice": sku.unit_price or NULL,
                    "PricingCategory": _pricing_category(sku),
                    "PricingUnit": sku.unit or NULL,
                    "ProviderName": provider.name,
                    "PublisherName": sku.publisher or provider.invoice_issuer,
                    "RegionId": region_id if sku.regional else NULL,
                    "RegionName": region_name if sku.regional else NULL,
                    "ResourceId": resource_id,
                    "ResourceName": resource_name,
                    "ResourceType": sku.resource_type or NULL,
                    "ServiceCategory": sku.service_category,
                    "ServiceName": sku.service_name,
                    "SkuId": sku_id if sku.charge_category in ("Usage", "Purchase") else NULL,
                    "SkuPriceId": sku_price_id if sku.charge_category in ("Usage", "Purchase") else NULL,
                    "SubAccountId": account_id,
                    "SubAccountName": account_name,
                    "Tags": _tags(rng, workload, environment) if sku.resource_type else NULL,
                    # Numbers the row formulas need.
                    "_weight": sku.weight / sku.resources,
                    "_quantity_low": float(sku.quantity[0]),
                    "_quantity_ratio": sku.quantity[1] / sku.quantity[0],
                    "_unit_price": float(sku.unit_price or 1),
                    "_priced": sku.unit_price is not None,
                    "_consumed": sku.charge_category == "Usage",
                    "_sign": -1.0 if sku.charge_category == "Credit" else 1.0,
                    "_contracted_factor": 1 - provider.contracted_discount,
                    # A Savings Plan bills nothing per hour; its effective cost is the discounted rate.
                    "_billed_factor": 0.0 if sku.savings_plan else 1.0,
                    "_effective_factor": 0.72 if sku.savings_plan else 1.0,
                    "_period_hours": _PERIOD_HOURS.get(sku.period, 0),
                    "_second_currency": provider.name == SECOND_CURRENCY_PROVIDER,
                }
            )
    return pa.Table.from_pylist(entries)


def _pricing_category(sku: _Sku) -> str:
    if sku.charge_category == "Tax":
        return NULL  # FOCUS: MUST be null for taxes
    if sku.charge_category == "Credit":
        return "Other"
    return "Committed" if sku.savings_plan else "Standard"


def _availability_zone(sku: _Sku, rng: random.Random, region_id: str) -> str:
    if not sku.zonal:
        return NULL
    if sku.provider == "Oracle":
        prefix = "".join(rng.choices("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", k=4))
        return f"{prefix}:{region_id.rsplit('-', 1)[0].upper()}-AD-{rng.randint(1, 3)}"
    return region_id + rng.choice("abc")


def _resource_fields(
    sku: _Sku, rng: random.Random, account_id: str, region_id: str, workload: str, environment: str
) -> tuple[str, str]:
    """ResourceId from the SKU's pattern, and a ResourceName where the provider reports one (AWS does not)."""
    if not sku.resource_type:
        return NULL, NULL
    name = f"{workload}-{environment}-{rng.randint(1, 99):02d}"
    resource_id = sku.resource_id.format(
        account=account_id,
        region=region_id,
        name=name,
        compact=name.replace("-", "") + f"{rng.getrandbits(24):06x}",
        group=f"rg-{workload}-{environment}",
        hex16=f"{rng.getrandbits(64):016x}",
        upper13="".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", k=13)),
        uuid=_uuid(rng),
        ocid="a" + "".join(rng.choices(_B32, k=59)),
    )
    if sku.provider == "AWS":
        return resource_id, NULL
    return resource_id, resource_id.rsplit("/", 1)[-1] if sku.provider == "Microsoft" else name


def _weighted_choice(weights: pa.ChunkedArray, draws: pa.Array) -> pa.Array:
    """Indices chosen with the given relative weights, one per uniform draw in [0, 1)."""
    total = sum(weights.to_pylist())
    lookup: list[int] = []
    for index, weight in enumerate(weights.to_pylist()):
        lookup.extend([index] * max(1, round(weight / total * _WEIGHT_RESOLUTION)))
    positions = pc.cast(pc.floor(pc.multiply(draws, float(len(lookup)))), pa.int64())
    return pc.take(pa.array(lookup, pa.int64()), positions)


def _fixed(values: pa.Array, decimals: int) -> pa.Array:
    """Plain decimal text with exactly ``decimals`` digits (Arrow's own cast switches to 8E-7 notation)."""
    scale = 10**decimals
    scaled = pc.cast(pc.round(pc.multiply(values, float(scale))), pa.int64())
    magnitude = pc.abs(scaled)
    whole = pc.divide(magnitude, scale)  # integer division
    fraction = pc.subtract(magnitude, pc.multiply(whole, scale))
    sign = pc.if_else(pc.less(scaled, 0), "-", "")
    digits = pc.utf8_lpad(pc.cast(fraction, pa.string()), decimals, "0")
    return pc.binary_join_element_wise(sign, pc.cast(whole, pa.string()), ".", digits, "")


def generate_table(
    month: str,
    count: int,
    seed: int,
    *,
    part: int = 0,
    first_id: int = 1,
    second_currency: str | None = None,
) -> pa.Table:
    """``count`` FOCUS 1.0 rows of the billing month ``month`` (``YYYY-MM``), every column as text.

    The same arguments give the same table. ``seed`` fixes the accounts and resources; ``part`` (the file
    number within the month) varies the rows, so the files of a month differ but describe one estate.
    ``Id`` runs from ``first_id``. With ``second_currency`` the rows of ``SECOND_CURRENCY_PROVIDER`` are
    billed in that currency, all others in USD. Every ChargePeriodStart lies inside the month.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    month_start, month_hours = _month_bounds(month)
    catalog = _catalog(seed)

    def draws(stream: str) -> pa.Array:
        return pc.random(count, initializer=_derived_seed(seed, month, part, stream))

    rows = catalog.take(_weighted_choice(catalog["_weight"], draws("resource")))

    # Charge periods: whole hours, days or the month, picked from the month's hour boundaries.
    hour_stamps = pa.array([_stamp(month_start + timedelta(hours=h)) for h in range(month_hours + 1)])
    period_hours = pc.if_else(pc.equal(rows["_period_hours"], 0), month_hours, rows["_period_hours"])
    periods = pc.divide(month_hours, period_hours)
    period_index = pc.cast(pc.floor(pc.multiply(draws("period"), pc.cast(periods, pa.float64()))), pa.int64())
    start_hour = pc.multiply(period_index, period_hours)
    charge_start = pc.take(hour_stamps, start_hour)
    charge_end = pc.take(hour_stamps, pc.add(start_hour, period_hours))

    quantity = pc.multiply(rows["_quantity_low"], pc.power(rows["_quantity_ratio"], draws("quantity")))
    list_cost = pc.multiply(pc.multiply(quantity, rows["_unit_price"]), rows["_sign"])
    contracted_unit_price = pc.multiply(rows["_unit_price"], rows["_contracted_factor"])
    contracted_cost = pc.multiply(list_cost, rows["_contracted_factor"])
    priced = rows["_priced"]
    pricing_quantity = pc.if_else(priced, _fixed(quantity, _MONEY_DECIMALS), NULL)

    computed = {
        "BilledCost": _fixed(pc.multiply(contracted_cost, rows["_billed_factor"]), _MONEY_DECIMALS),
        "BillingCurrency": pc.if_else(rows["_second_currency"], second_currency or "USD", "USD"),
        "BillingPeriodEnd": pa.repeat(_stamp(month_start + timedelta(hours=month_hours)), count),
        "BillingPeriodStart": pa.repeat(_stamp(month_start), count),
        "ChargePeriodEnd": charge_end,
        "ChargePeriodStart": charge_start,
        "ConsumedQuantity": pc.if_else(
            rows["_consumed"], pc.binary_join_element_wise(pricing_quantity, _QUANTITY_PAD, ""), NULL
        ),
        "ContractedCost": _fixed(contracted_cost, _MONEY_DECIMALS),
        "ContractedUnitPrice": pc.if_else(priced, _fixed(contracted_unit_price, _MONEY_DECIMALS), NULL),
        "EffectiveCost": _fixed(pc.multiply(contracted_cost, rows["_effective_factor"]), _MONEY_DECIMALS),
        "Id": pc.cast(pa.array(range(first_id, first_id + count), pa.int64()), pa.string()),
        "ListCost": _fixed(list_cost, _MONEY_DECIMALS),
        "PricingQuantity": pricing_quantity,
    }
    return pa.table({name: computed[name] if name in computed else rows[name] for name in FOCUS_COLUMNS})


def _csv_lines(table: pa.Table) -> pa.Array:
    """One CSV line per row, quoted the way the sample is: numbers and NULL bare, other text in quotes."""
    fields = []
    for name in table.column_names:
        values = table[name]
        if name not in _BARE_COLUMNS:
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
            values = pc.if_else(pc.equal(values, NULL), NULL, quoted)
        fields.append(values)
    return pc.binary_join_element_wise(*fields, ",")


def _gzip_or_plain(raw: BinaryIO, compress: bool) -> AbstractContextManager[gzip.GzipFile | BinaryIO]:
    # mtime=0 keeps the gzip header free of a timestamp: the same table always gives the same bytes.
    return gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) if compress else nullcontext(raw)


def write_csv(table: pa.Table, path: Path, compress: bool = False) -> Path:
    """Write ``table`` as CSV in the sample's style, gzipped when ``compress``.

    The same table always gives the same bytes, so a rewritten file keeps its S3 ETag.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ",".join(f'"{name}"' for name in table.column_names).encode() + b"\n"
    with path.open("wb") as raw, _gzip_or_plain(raw, compress) as out:
        out.write(header)
        for offset in range(0, table.num_rows, _WRITE_CHUNK_ROWS):
            lines = _csv_lines(table.slice(offset, _WRITE_CHUNK_ROWS)).combine_chunks()
            as_one_list = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
            out.write(pc.binary_join(as_one_list, "\n")[0].as_buffer())
            out.write(b"\n")
    log.debug("wrote %s (%d rows)", path, table.num_rows)
    return path


def month_file_name(month: str, number: int, compress: bool) -> str:
    """``focus-<month>-<number>.csv`` or ``.csv.gz``: the names ``write_month_files`` uses."""
    return f"focus-{month}-{number}.csv" + (".gz" if compress else "")


def write_month_files(
    root: Path,
    month: str,
    files: int,
    rows_per_file: int,
    seed: int,
    gzip_every_other: bool = True,
    *,
    second_currency: str | None = None,
) -> list[Path]:
    """Write ``files`` CSV files of one billing month into ``root/<month>/``, as an export would.

    File ``n`` (from 1) holds ``generate_table(month, rows_per_file, seed, part=n,
    first_id=(n - 1) * rows_per_file + 1, second_currency=second_currency)``, so Ids are unique within the
    month. With ``gzip_every_other`` the even-numbered files are ``.csv.gz``. Returns the paths in file order.
    """
    paths = []
    for number in range(1, files + 1):
        compress = gzip_every_other and number % 2 == 0
        table = generate_table(
            month,
            rows_per_file,
            seed,
            part=number,
            first_id=(number - 1) * rows_per_file + 1,
            second_currency=second_currency,
        )
        paths.append(write_csv(table, root / month / month_file_name(month, number, compress), compress))
    log.info("wrote %d files of %d rows for %s under %s", files, rows_per_file, month, root)
    return paths


def recent_months(as_of: date, count: int) -> list[str]:
    """The ``count`` billing months ending with the month of ``as_of``, oldest first, as ``YYYY-MM``."""
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    last = month_of(as_of)
    return months_between(add_months(last, -(count - 1)), last)


def _with_currency(table: pa.Table, rows: Sequence[int], currency: str) -> pa.Table:
    """``table`` with BillingCurrency set to ``currency`` on the given row positions, nothing else changed."""
    values = table["BillingCurrency"].to_pylist()
    for row in rows:
        values[row] = currency
    column = table.column_names.index("BillingCurrency")
    return table.set_column(column, "BillingCurrency", pa.array(values, pa.string()))


def write_demo_tree(root: Path, as_of: date) -> list[Path]:
    """The demo's source folder: the month of ``as_of`` and the two before, two files a month.

    The current month also gets one deliberately broken file, the last path returned: its only defect is a
    ``BillingCurrency`` of ``US$`` on two rows, so the demo can show a rejected file and its reasons.
    """
    months = recent_months(as_of, 3)
    paths: list[Path] = []
    for month in months:
        paths += write_month_files(
            root, month, 2, _DEMO_ROWS_PER_FILE, _DEMO_SEED, second_currency=_DEMO_SECOND_CURRENCY
        )
    current = months[-1]
    table = generate_table(
        current,
        _DEMO_BROKEN_ROWS,
        _DEMO_SEED,
        part=3,
        first_id=2 * _DEMO_ROWS_PER_FILE + 1,
        second_currency=_DEMO_SECOND_CURRENCY,
    )
    usd_rows = [i for i, currency in enumerate(table["BillingCurrency"].to_pylist()) if currency == "USD"]
    spread_rows = usd_rows[:: len(usd_rows) // _BROKEN_CURRENCY_ROWS][:_BROKEN_CURRENCY_ROWS]
    broken = _with_currency(table, spread_rows, _BROKEN_CURRENCY)
    paths.append(write_csv(broken, root / current / f"focus-{current}-bad-currency.csv"))
    log.info("demo data for %s to %s written under %s", months[0], current, root)
    return paths
