{% macro focus_datetime_form(text) -%}
    {#- 'focus' for the FOCUS form YYYY-MM-DDTHH:mm:ssZ; 'lenient' for the UTC forms profile `any` also
        reads (space separator, fractional seconds, +00:00 or no designator, date only); 'invalid' for
        other offsets, hours past 23 (write 24:00:00 as the next day 00:00:00) and free text; null for null. -#}
    case
        when {{ text }} is null then null
        {#- The LIKE shapes are necessary for the patterns and much cheaper than a regex: most values that
            are not in the FOCUS form skip its regex. #}
        when {{ text }} like '____-__-__T__:__:__Z'
            and {{ regex_full_match(text, '[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z') }}
            then 'focus'
        when {{ text }} like '____-__-__%'
            and {{ regex_full_match(text, '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+)?(Z|[+]00:00)?)?') }}
            then 'lenient'
        else 'invalid'
    end
{%- endmacro %}
