with

files as (
    select * from {{ ref('int_focus__files') }}
),

file_verdicts as (
    select * from {{ ref('int_focus__file_verdicts') }}
),

accepted_files as (
    select files.*
    from files
    inner join file_verdicts
        on files.data_source_id = file_verdicts.data_source_id
        and files.key = file_verdicts.key
        and files.etag = file_verdicts.etag
    where file_verdicts.status = 'accepted'
        {#- Charges come from Cost and Usage files; ContractCommitment files feed contract_commitments. #}
        and files.dataset = 'CostAndUsage'
),

final as (
    select * from accepted_files
)

select * from final
