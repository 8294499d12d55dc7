{% macro focus_row_checks() %}
    {#- The checks of int_focus__rows_parsed that compare columns of a row: name (its <name>__issue
        column), the FOCUS column it is reported under, and the catalogue rules it can emit. -#}
    {{ return([
        {'name': 'folder_month', 'column_id': 'ChargePeriodStart', 'rules': ['folder_month']},
        {'name': 'charge_period_order', 'column_id': 'ChargePeriodEnd', 'rules': ['period_order']},
        {'name': 'billing_period_order', 'column_id': 'BillingPeriodEnd', 'rules': ['period_order']},
        {'name': 'commitment_discount_category_condition', 'column_id': 'CommitmentDiscountCategory',
            'rules': ['commitment_discount_nulls']},
        {'name': 'commitment_discount_status_condition', 'column_id': 'CommitmentDiscountStatus',
            'rules': ['commitment_discount_nulls']},
        {'name': 'capacity_reservation_status_condition', 'column_id': 'CapacityReservationStatus',
            'rules': ['capacity_reservation_nulls']},
        {'name': 'pricing_quantity_tax', 'column_id': 'PricingQuantity', 'rules': ['tax_pricing_nulls']},
        {'name': 'pricing_unit_tax', 'column_id': 'PricingUnit', 'rules': ['tax_pricing_nulls']},
        {'name': 'pricing_category_tax', 'column_id': 'PricingCategory', 'rules': ['tax_pricing_nulls']},
        {'name': 'tags_key_value', 'column_id': 'Tags', 'rules': ['key_value_format']},
        {'name': 'service_subcategory_parent', 'column_id': 'ServiceSubcategory',
            'rules': ['service_subcategory_parent']},
    ]) }}
{% endmacro %}
