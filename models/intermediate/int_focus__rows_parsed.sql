-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{# One pass over the rows: every FOCUS column is parsed to its type and gets one issue code (the rule it
    breaks, or the lenient form it uses), so that files are judged by aggregating flags, not by
    unpivoting values. Column facts per profile come from the seeds (focus_column_specs). A view (on
    Spark a table: macro focus_wide_view_config), read by int_focus__row_check_results for the file
    versions it has not checked yet; the typed values of accepted files are stored by
    int_focus__charges, which types them without the format checks. -#}
{%- set focus_columns = focus_column_specs() -%}
{%- set enumerated_columns = focus_columns | selectattr('enumerated_profiles') | list -%}
{%- set currency_columns = focus_columns | selectattr('currency_profiles') | list -%}
{{ config(**focus_wide_view_config()) }}

with

focus_rows as (
    select * from {{ ref('int_focus__current_rows') }}
),

files as (
    select * from {{ ref('int_focus__files') }}
),

allowed_values as (
    select * from {{ ref('focus_allowed_values') }}
),

currencies as (
    select * from {{ ref('iso4217_currencies') }}
),

subcategory_parents as (
    select * from {{ ref('service_subcategory_parents') }}
),

rows_with_file_context as (
    select
        focus_rows.data_source_id,
        focus_rows.key,
        focus_rows.etag,
        focus_rows.billing_month,
        focus_rows.source_row_number,
        files.profile,
        files.is_lenient,
        files.billing_month_start,
        {%- for column in focus_columns %}
        {{ focus_source_value(column, 'focus_rows', 'files') }} as {{ column.column_key }}__raw,
        files.{{ column.column_key }}__source_key is not null as {{ column.column_key }}__is_present{% if not loop.last %},{% endif %}
        {%- endfor %}
    from focus_rows
    inner join files
        on focus_rows.data_source_id = files.data_source_id
        and focus_rows.key = files.key
        and focus_rows.etag = files.etag
),

nulls_normalized as (
    select
        *,
        {%- for column in focus_columns %}
        {{ focus_null_literals_removed(column.column_key ~ '__raw', 'is_lenient') }} as {{ column.column_key }}__text{% if not loop.last %},{% endif %}
        {%- endfor %}
    from rows_with_file_context
),

formats_classified as (
    {%- set derived_columns = [] %}
    {%- for column in enumerated_columns %}
    {%- do derived_columns.append('allowed_' ~ column.column_key ~ '.canonical_value as ' ~ column.column_key ~ '__canonical') %}
    {%- endfor %}
    {%- for column in currency_columns %}
    {%- do derived_columns.append('currency_' ~ column.column_key ~ '.code as ' ~ column.column_key ~ '__currency_code') %}
    {%- endfor %}
    {%- for column in focus_columns %}
    {%- set text = column.column_key ~ '__text' %}
    {%- if column.data_type == 'Decimal' %}
    {%- do derived_columns.append(focus_number_form(text) ~ ' as ' ~ column.column_key ~ '__form') %}
    {%- elif column.data_type == 'Date/Time' %}
    {%- do derived_columns.append(focus_datetime_form(text) ~ ' as ' ~ column.column_key ~ '__form') %}
    {%- elif column.data_type == 'JSON' %}
    {%- do derived_columns.append(
        'case when ' ~ text ~ ' is null then null when ' ~ is_json_object(text)
        ~ " then 'focus' else 'invalid' end as " ~ column.column_key ~ '__form'
    ) %}
    {%- endif %}
    {%- endfor %}
    select
        nulls_normalized.*,
        {{ derived_columns | join(',\n        ') }}
    from nulls_normalized
    {%- for column in enumerated_columns %}
    {{ allowed_value_join(column, 'nulls_normalized', 'allowed_values') }}
    {%- endfor %}
    {%- for column in currency_columns %}
    left join currencies as currency_{{ column.column_key }}
        on nulls_normalized.{{ column.column_key }}__text = currency_{{ column.column_key }}.code
    {%- endfor %}
),

values_parsed as (
    select
        *,
        {%- for column in focus_columns %}
        {%- set text = column.column_key ~ '__text' %}
        {%- set typed_value = focus_typed_value(column, text, column.column_key ~ '__canonical') %}
        {%- if column.data_type == 'Decimal' %}
        case
            when {{ column.column_key }}__form in ('focus', 'lenient') and {{ focus_decimal_fits(text, 'integer') }}
                then {{ typed_value }}
        end as {{ column.column_key }}__value,
        {#- More decimals than the type holds: the cast rounded the value (half away from zero). #}
        not {{ focus_decimal_fits(text, 'scale') }} as {{ column.column_key }}__is_rounded{% if not loop.last %},{% endif %}
        {%- elif column.data_type == 'Date/Time' %}
        case
            when {{ column.column_key }}__form in ('focus', 'lenient') then {{ typed_value }}
        end as {{ column.column_key }}__value{% if not loop.last %},{% endif %}
        {%- elif column.data_type == 'JSON' %}
        case
            when {{ column.column_key }}__form = 'focus' then {{ typed_value }}
        end as {{ column.column_key }}__value{% if not loop.last %},{% endif %}
        {%- else %}
        {{ typed_value }} as {{ column.column_key }}__value{% if not loop.last %},{% endif %}
        {%- endif %}
        {%- endfor %}
    from formats_classified
),

cells_checked as (
    select
        *,
        {%- for column in focus_columns %}
        {%- set key = column.column_key %}
        case
            when {{ key }}__text is null then
                case
                    when {{ key }}__is_present and {{ profile_in('profile', column.not_null_profiles) }}
                        then {{ focus_rule('not_null') }}
                    when {{ key }}__raw <> '' and {{ key }}__raw <> 'NULL' then {{ focus_rule('lenient_null') }}
                end
            {%- if column.data_type in ('Decimal', 'Date/Time') %}
            {%- set format_rule = 'decimal_format' if column.data_type == 'Decimal' else 'datetime_format' %}
            {%- set lenient_rule = 'lenient_number' if column.data_type == 'Decimal' else 'lenient_datetime' %}
            {#- A value is only parsed from a well-formed text that fits its type. #}
            when {{ key }}__value is null or ({{ key }}__form = 'lenient' and not is_lenient)
                then {{ focus_rule(format_rule) }}
            when {{ key }}__form = 'lenient' then {{ focus_rule(lenient_rule) }}
            {%- if column.data_type == 'Decimal' %}
            when {{ key }}__is_rounded then {{ focus_rule('rounded_number') }}
            {%- endif %}
            {%- elif column.data_type == 'JSON' %}
            when {{ key }}__value is null then {{ focus_rule('json_format') }}
            {%- endif %}
            {%- if column.enumerated_profiles %}
            when {{ profile_in('profile', column.enumerated_profiles) }}
                and {{ key }}__canonical is null
                then {{ focus_rule('allowed_value') }}
            when {{ profile_in('profile', column.enumerated_profiles) }}
                and {{ key }}__canonical <> {{ key }}__text
                then {{ focus_rule('lenient_value') }}
            {%- endif %}
            {%- if column.currency_profiles %}
            when {{ profile_in('profile', column.currency_profiles) }}
                and {{ key }}__currency_code is null
                then {{ focus_rule('currency_code') }}
            {%- endif %}
        end as {{ key }}__issue{% if not loop.last %},{% endif %}
        {%- endfor %}
    from values_parsed
),

parents_joined as (
    select
        cells_checked.*,
        subcategory_parents.service_category as subcategory_parent__category
    from cells_checked
    left join subcategory_parents
        on cells_checked.profile = subcategory_parents.profile
        and cells_checked.service_subcategory__value = subcategory_parents.service_subcategory
),

row_rules_checked as (
    select
        *,
        case
            when charge_period_start__value is null then null
            when {{ dbt.date_trunc('month', 'charge_period_start__value') }} = billing_month_start then null
            {#- FOCUS delivers corrections to closed periods in a later month's file. #}
            when charge_class__value = 'Correction'
                and {{ dbt.date_trunc('month', 'billing_period_start__value') }} = billing_month_start
                then null
            else {{ focus_rule('folder_month') }}
        end as folder_month__issue,
        charge_period_start__raw as folder_month__raw,
        case
            when charge_period_end__value <= charge_period_start__value then {{ focus_rule('period_order') }}
        end as charge_period_order__issue,
        charge_period_end__raw as charge_period_order__raw,
        case
            when billing_period_end__value <= billing_period_start__value then {{ focus_rule('period_order') }}
        end as billing_period_order__issue,
        billing_period_end__raw as billing_period_order__raw,
        {#- FOCUS conditional rules between columns (columns.csv notes), checked on the values that
            passed their own checks. Category and status: null when CommitmentDiscountId is null; the
            category not null when it is not, the status not null when it is not and ChargeCategory
            is Usage. #}
        case
            when commitment_discount_category__is_present and commitment_discount_id__value is null
                and commitment_discount_category__value is not null then {{ focus_rule('commitment_discount_nulls') }}
            when commitment_discount_category__is_present and commitment_discount_id__value is not null
                and commitment_discount_category__value is null then {{ focus_rule('commitment_discount_nulls') }}
        end as commitment_discount_category_condition__issue,
        {{ focus_condition_sample(['CommitmentDiscountId', 'CommitmentDiscountCategory']) }}
            as commitment_discount_category_condition__raw,
        case
            when commitment_discount_status__is_present and commitment_discount_id__value is null
                and commitment_discount_status__value is not null then {{ focus_rule('commitment_discount_nulls') }}
            when commitment_discount_status__is_present and commitment_discount_id__value is not null
                and charge_category__value = 'Usage'
                and commitment_discount_status__value is null then {{ focus_rule('commitment_discount_nulls') }}
        end as commitment_discount_status_condition__issue,
        {{ focus_condition_sample(['CommitmentDiscountId', 'ChargeCategory', 'CommitmentDiscountStatus']) }}
            as commitment_discount_status_condition__raw,
        case
            when capacity_reservation_status__is_present and capacity_reservation_id__value is null
                and capacity_reservation_status__value is not null then {{ focus_rule('capacity_reservation_nulls') }}
            when capacity_reservation_status__is_present and capacity_reservation_id__value is not null
                and charge_category__value = 'Usage'
                and capacity_reservation_status__value is null then {{ focus_rule('capacity_reservation_nulls') }}
        end as capacity_reservation_status_condition__issue,
        {{ focus_condition_sample(['CapacityReservationId', 'ChargeCategory', 'CapacityReservationStatus']) }}
            as capacity_reservation_status_condition__raw,
        {#- Taxes are not priced per unit: PricingQuantity, PricingUnit, PricingCategory null. #}
        {%- for column_id in ['PricingQuantity', 'PricingUnit', 'PricingCategory'] %}
        {%- set key = (focus_columns | selectattr('column_id', 'equalto', column_id) | first).column_key %}
        case
            when charge_category__value = 'Tax' and {{ key }}__value is not null then {{ focus_rule('tax_pricing_nulls') }}
        end as {{ key }}_tax__issue,
        {{ focus_condition_sample(['ChargeCategory', column_id]) }} as {{ key }}_tax__raw,
        {%- endfor %}
        {#- Key-Value Format: Tags' values are strings, numbers, booleans or null, never objects or arrays. #}
        case
            when tags__value is not null and not {{ json_object_is_flat('tags__value') }}
                then {{ focus_rule('key_value_format') }}
        end as tags_key_value__issue,
        tags__raw as tags_key_value__raw,
        {#- Each ServiceSubcategory has one parent ServiceCategory (of the profile's version). #}
        case
            when service_subcategory__canonical is not null and service_category__value is not null
                and service_subcategory__issue is null and service_category__issue is null
                and subcategory_parent__category is distinct from service_category__value
                then {{ focus_rule('service_subcategory_parent') }}
        end as service_subcategory_parent__issue,
        {{ focus_condition_sample(['ServiceCategory', 'ServiceSubcategory']) }} as service_subcategory_parent__raw
    from parents_joined
),

final as (
    {%- set checks = focus_checks() %}
    select
        data_source_id,
        key,
        etag,
        billing_month,
        source_row_number,
        profile,
        {%- for column in focus_columns %}
        {{ column.column_key }}__value as {{ column.column_key }},
        {%- endfor %}
        {%- for check in checks %}
        {{ check.name }}__issue,
        case
            {%- if 'lenient_value' in check.rules %}
            {#- The sample says which canonical spelling was stored for the text. #}
            when {{ check.name }}__issue = 'lenient_value'
                then {{ dbt.concat([check.name ~ '__raw', "' -> '", check.name ~ '__canonical']) }}
            {%- endif %}
            when {{ check.name }}__issue is not null then {{ check.name }}__raw
        end as {{ check.name }}__issue_value,
        {%- endfor %}
        coalesce(
            {%- for check in checks %}
            {{ check.name }}__issue{% if not loop.last %},{% endif %}
            {%- endfor %}
        ) is not null as has_issue
    from row_rules_checked
)

select * from final
