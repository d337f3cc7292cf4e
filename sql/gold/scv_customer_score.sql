-- scv_customer_score, its features: every opportunity open at the end of each scoring date (its version known
-- by then is in stage C0-C3 with status Open, created within :max_open_age_days), with its call history up to
-- that date and the saleable stock of its product line at its dealer. gold/scv_customer_score.py scores them.
-- inputs: score_dates(as_of_date), opportunity_versions, call_log, stock;
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

open_opportunities as (
    select *
    from as_known
    where stage in ('C0', 'C1', 'C2', 'C3')
      and status = 'Open'
),

calls as (
    select
        open_opportunities.as_of_date,
        call_log.opty_id,
        call_log.call_at,
        call_log.duration_s,
        call_log.outcome,
        call_log.next_followup_date,
        row_number() over (
            partition by open_opportunities.as_of_date, call_log.opty_id
            order by call_log.call_at desc, call_log.call_id desc  -- call_id settles calls at the same second
        ) as recency_rank
    from call_log
    cross join bounds
    inner join open_opportunities
        on call_log.opty_id = open_opportunities.opty_id
       and call_log.call_at < cast(date_add(open_opportunities.as_of_date, 1) as timestamp)
    -- no call predates the oldest opportunity still open: older calls are never read
    where call_log.call_at >= cast(bounds.first_created_date as timestamp)
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
