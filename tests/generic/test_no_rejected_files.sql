{% test no_rejected_files(model) %}
{#- Lists rejected files with their first error. Warn by default so that one bad file does not stop the
    marts of the good ones; `--vars '{fail_on_rejected_files: true}'` or --warn-error gates a release. #}
{{ config(severity='error' if var('fail_on_rejected_files') else 'warn') }}
select data_source_id, key, etag, billing_month, first_error
from {{ model }}
where status = 'rejected'
{% endtest %}
