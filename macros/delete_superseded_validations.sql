{% macro delete_superseded_validations(current_validations) %}
    {#- Pre-hook of the models that are incremental by file version: their rows carry the validation_id
        of the file version they come from. Deletes the rows whose validation_id is no longer in
        current_validations (a relation with a validation_id column): versions replaced, deleted or now
        rejected, and versions revalidated under another profile or project. Nothing to do on a full
        build, which starts empty. -#}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where validation_id not in (select validation_id from {{ current_validations }})
    {%- endif -%}
{% endmacro %}
