-- account_rfm: recency, frequency and monetary scores (1-5) and the RFM segment per account and as-of date.
-- An account is in a date's rows when it bought within :account_history_days before it. Recency: days since its
-- last purchase day; frequency: its purchase days (an order is a day's invoices) in the last :rfm_window_days;
-- monetary: their invoice value. Scores are quintiles of the date's accounts by percent rank (ties share a
-- score), 5 the best. The segment is the first rule of :rfm_rules (conf accounts.rfm.segments, passed as
-- "name:r_low:r_high:f_low:f_high:m_low:m_high;...") whose ranges hold all three scores, else
-- :rfm_default_segment. Name, segment and region come from the account master, else from the account's latest
-- opportunity (customer name and type) and its home dealer's region; the home dealer is the master's, else the
-- dealer of its latest invoice; district and state are the home dealer's on the date (dealer_geo).
-- inputs: account_purchases, accounts, customer_pipeline, dealer_geo, as_of_dates

with

dates as (
    select as_of_date from as_of_dates
),

purchases as (
    select * from account_purchases
),

master as (
    select * from accounts
),

opportunity_profiles as (
    -- the account's latest opportunity: its customer name and type, for accounts the master does not name
    select account_id, customer_name, customer_type
    from (
        select
            account_id,
            customer_name,
            customer_type,
            row_number() over (partition by account_id order by updated_at desc, opty_id desc) as recency_n
        from customer_pipeline
        where account_id is not null
    ) as ranked
    where recency_n = 1
),

geo as (
    select * from dealer_geo
),

known as (
    -- each date's purchases within the history
    select
        dates.as_of_date,
        purchases.*
    from purchases
    inner join dates
        on purchases.purchase_date <= dates.as_of_date
       and purchases.purchase_date > date_sub(dates.as_of_date, :account_history_days)
),

latest_dealer as (
    select as_of_date, account_id, dealer_code
    from (
        select
            as_of_date,
            account_id,
            dealer_code,
            row_number() over (
                partition by as_of_date, account_id order by purchase_date desc, retail_id desc
            ) as recency_n
        from known
    ) as ranked
    where recency_n = 1
),

measures as (
    select
        as_of_date,
        account_id,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(distinct purchase_date) as orders,
        count(distinct case when purchase_date > date_sub(as_of_date, :rfm_window_days) then purchase_date end)
            as frequency,
        coalesce(sum(case when purchase_date > date_sub(as_of_date, :rfm_window_days) then value end), 0.0D)
            as monetary,
        sum(units) as units
    from known
    group by as_of_date, account_id
),

scored as (
    select
        measures.*,
        datediff(as_of_date, last_purchase_date) as recency_days,
        case
            when orders >= 2 then datediff(last_purchase_date, first_purchase_date) / (orders - 1.0D)
        end as mean_interval_days,
        5 - least(4, cast(floor(5 * percent_rank() over (
            partition by as_of_date order by datediff(as_of_date, last_purchase_date)
        )) as int)) as r_score,
        1 + least(4, cast(floor(5 * percent_rank() over (partition by as_of_date order by frequency)) as int))
            as f_score,
        1 + least(4, cast(floor(5 * percent_rank() over (partition by as_of_date order by monetary)) as int))
            as m_score
    from measures
),

rules as (
    select
        array_position(split(:rfm_rules, ';'), spec) as rule_order,
        split(spec, ':')[0] as rfm_segment,
        cast(split(spec, ':')[1] as int) as r_low,
        cast(split(spec, ':')[2] as int) as r_high,
        cast(split(spec, ':')[3] as int) as f_low,
        cast(split(spec, ':')[4] as int) as f_high,
        cast(split(spec, ':')[5] as int) as m_low,
        cast(split(spec, ':')[6] as int) as m_high
    from (select explode(split(:rfm_rules, ';')) as spec) as specs
),

first_rule as (
    select
        scored.as_of_date,
        scored.account_id,
        min(rules.rule_order) as rule_order
    from scored
    inner join rules
        on scored.r_score between rules.r_low and rules.r_high
       and scored.f_score between rules.f_low and rules.f_high
       and scored.m_score between rules.m_low and rules.m_high
    group by scored.as_of_date, scored.account_id
),

final as (
    select
        -- ids
        scored.as_of_date,
        scored.account_id,
        coalesce(master.account_name, opportunity_profiles.customer_name) as account_name,
        coalesce(master.segment, opportunity_profiles.customer_type) as segment,
        coalesce(master.region, geo.region) as region,
        coalesce(master.dealer_code, latest_dealer.dealer_code) as dealer_code,
        geo.district,
        geo.state,
        -- dates
        scored.first_purchase_date,
        scored.last_purchase_date,
        -- measures
        cast(scored.recency_days as int) as recency_days,
        scored.orders,
        scored.frequency,
        scored.monetary,
        scored.units,
        scored.mean_interval_days,
        cast(scored.r_score as int) as r_score,
        cast(scored.f_score as int) as f_score,
        cast(scored.m_score as int) as m_score,
        coalesce(rules.rfm_segment, :rfm_default_segment) as rfm_segment
    from scored
    inner join latest_dealer
        on scored.as_of_date = latest_dealer.as_of_date and scored.account_id = latest_dealer.account_id
    left join master
        on scored.account_id = master.account_id
    left join opportunity_profiles
        on scored.account_id = opportunity_profiles.account_id
    left join geo
        on scored.as_of_date = geo.as_of_date
       and coalesce(master.dealer_code, latest_dealer.dealer_code) = geo.dealer_code
    left join first_rule
        on scored.as_of_date = first_rule.as_of_date and scored.account_id = first_rule.account_id
    left join rules
        on first_rule.rule_order = rules.rule_order
)

select * from final
