-- account_calls: every call on a repeat-buying account's opportunities within the reach of the run's dates (the
-- sentiment windows and the health episodes' trailing dates), one row per call. gold/account_sentiment.py scores
-- each call (outcome and notes) from it.
-- inputs: call_log, customer_pipeline, as_of_dates; parameter :account_call_lookback_days

with

bounds as (
    select
        date_sub(min(as_of_date), :account_call_lookback_days) as first_date,
        max(as_of_date) as last_date
    from as_of_dates
),

opportunity_accounts as (
    select
        opty_id,
        account_id
    from customer_pipeline
    where account_id is not null
),

calls as (
    select
        opportunity_accounts.account_id,
        call_log.call_id,
        call_log.opty_id,
        call_log.call_at,
        to_date(call_log.call_at) as call_date,
        call_log.outcome,
        call_log.duration_s,
        call_log.notes
    from call_log
    inner join opportunity_accounts
        on call_log.opty_id = opportunity_accounts.opty_id
    cross join bounds
    where to_date(call_log.call_at) > bounds.first_date
      and to_date(call_log.call_at) <= bounds.last_date
),

final as (
    select
        -- ids
        account_id,
        call_id,
        opty_id,
        -- dates
        call_at,
        call_date,
        -- the call
        outcome,
        coalesce(outcome = 'Connected', false) as is_connected,
        duration_s,
        notes
    from calls
)

select * from final
