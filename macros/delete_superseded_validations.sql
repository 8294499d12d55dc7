{% macro delete_superseded_validations(current_validations) %}
    {#- Pre-hook of the models that are incremental by file version: their rows carry the validation_id
        of the file version they come from. Deletes the rows whose validation_id is no longer in
        current_validations (a relation with a validation_id column): versions replaced, deleted or now
        rejected, and versions revalidated under another profile or project. Nothing to do on a full
        build, which starts empty. -#}
    {%- if is_incremental() -%}
    delete from {{ this }} as kept
    where not exists (
        select 1
        from {{ current_validations }} as current_validations
        where current_validations.validation_id = kept.validation_id
    )
    {%- endif -%}
{% endmacro %}
