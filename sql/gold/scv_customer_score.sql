-- scv_customer_score, its features: every opportunity open at the end of each scoring date (its version known
-- by then is in stage C0-C3 with status Open, created within :max_open_age_days), with its call history up to
-- that date and the saleable stock of its product line at its dealer. gold/scv_customer_score.py scores them.
-- What reps did in the app counts too (lead_actions, written by the field app): a lead marked done leaves the
-- list until the CRM shows a newer version of it, and a logged call is a call (contact, and a connected call
-- when its outcome says so).
-- inputs: score_dates(as_of_date), opportunity_versions, call_log, stock, lead_actions;
-- parameters :max_open_age_days :stock_lookback_days

with

dates as (
    select as_of_date from score_dates
),

bounds as (
    select
        date_sub(min(as_of_date), :max_open_age_days) as first_created_date,
        max(as_of_date) as last_date
    from dates
),

-- each opportunity as known at the end of the scoring date, created within :max_open_age_days of it
as_known as (
    select
        dates.as_of_date,
        versions.*
    from opportunity_versions as versions
    inner join dates
        on versions.known_from_date <= dates.as_of_date
       and versions.known_until_date > dates.as_of_date
       and versions.created_date between date_sub(dates.as_of_date, :max_open_age_days) and dates.as_of_date
),

-- the last time a rep marked each lead done in the app, as known by the end of the scoring date
done_leads as (
    select
        dates.as_of_date,
        lead_actions.opty_id,
        max(lead_actions.acted_at) as done_at
    from lead_actions
    inner join dates
        on lead_actions.acted_at < cast(date_add(dates.as_of_date, 1) as timestamp)
    where lead_actions.action = 'done'
    group by dates.as_of_date, lead_actions.opty_id
),

open_opportunities as (
    select as_known.*
    from as_known
    left join done_leads
        on as_known.as_of_date = done_leads.as_of_date
       and as_known.opty_id = done_leads.opty_id
    where as_known.stage in ('C0', 'C1', 'C2', 'C3')
      and as_known.status = 'Open'
      -- done in the app: off the list, unless the CRM has news of it since
      and (done_leads.done_at is null or as_known.updated_at > done_leads.done_at)
),

-- the dialer's calls and the calls reps logged in the app (no duration: they count as contact and, when
-- connected, as a connected call; the average duration stays the dialer's)
all_calls as (
    select call_id, opty_id, call_at, duration_s, outcome, next_followup_date
    from call_log
    union all
    select
        action_id as call_id,
        opty_id,
        acted_at as call_at,
        cast(null as int) as duration_s,
        outcome,
        cast(null as date) as next_followup_date
    from lead_actions
    where action = 'called'
),

calls as (
    select
        open_opportunities.as_of_date,
        all_calls.opty_id,
        all_calls.call_at,
        all_calls.duration_s,
        all_calls.outcome,
        all_calls.next_followup_date,
        row_number() over (
            partition by open_opportunities.as_of_date, all_calls.opty_id
            order by all_calls.call_at desc, all_calls.call_id desc  -- call_id settles calls at the same second
        ) as recency_rank
    from all_calls
    cross join bounds
    inner join open_opportunities
        on all_calls.opty_id = open_opportunities.opty_id
       and all_calls.call_at < cast(date_add(open_opportunities.as_of_date, 1) as timestamp)
    -- no call predates the oldest opportunity still open: older calls are never read
    where all_calls.call_at >= cast(bounds.first_created_date as timestamp)
),

call_stats as (
    select
        as_of_date,
        opty_id,
        count(*) as calls,
        sum(case when outcome = 'Connected' then 1 else 0 end) as connected_calls,
        avg(case when outcome = 'Connected' then duration_s end) as avg_connected_duration_s,
        max(to_date(call_at)) as last_contact_date,
        max(case when recency_rank = 1 then next_followup_date end) as next_followup_date
    from calls
    group by as_of_date, opty_id
),

stock_lines as (
    select
        dates.as_of_date,
        stock.dealer_code,
        stock.product_line,
        stock.saleable_stock,
        row_number() over (
            partition by dates.as_of_date, stock.dealer_code, stock.product_line
            order by stock.snapshot_date desc
        ) as recency_rank
    from stock
    inner join dates
        on stock.snapshot_date between date_sub(dates.as_of_date, :stock_lookback_days) and dates.as_of_date
),

final as (
    select
        -- ids
        opportunities.opty_id,
        opportunities.as_of_date,
        opportunities.dealer_code,
        -- geography
        opportunities.taluka,
        opportunities.district,
        opportunities.state,
        -- customer and deal
        opportunities.customer_name,
        opportunities.customer_phone,
        opportunities.product_line,
        opportunities.stage,
        opportunities.lead_classification,
        opportunities.opty_category,
        opportunities.customer_type,
        -- dates
        opportunities.created_date,
        opportunities.expected_closure_date,
        call_stats.last_contact_date,
        call_stats.next_followup_date,
        -- engagement and supply
        coalesce(call_stats.calls, 0) as calls,
        cast(coalesce(call_stats.connected_calls, 0) as bigint) as connected_calls,
        call_stats.avg_connected_duration_s,
        cast(stock_lines.saleable_stock as bigint) as saleable_stock,
        -- the repeat-buying account, when the opportunity is one's (the app shows its segment and cross-sell)
        opportunities.account_id
    from open_opportunities as opportunities
    left join call_stats
        on opportunities.as_of_date = call_stats.as_of_date and opportunities.opty_id = call_stats.opty_id
    left join stock_lines
        on opportunities.as_of_date = stock_lines.as_of_date
       and opportunities.dealer_code = stock_lines.dealer_code
       and opportunities.product_line = stock_lines.product_line
       and stock_lines.recency_rank = 1
)

select * from final
