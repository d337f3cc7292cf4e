-- account_health, its figures: per account and as-of date (the accounts of account_rfm), what the health
-- components are computed from (gold/account_health.py): the account's recency and mean interval (its own over
-- :health_min_orders purchase days or more, else the date's median of those), purchase days in the last
-- :health_trend_days and the same span before, its open opportunities at the end of the date (the version known
-- then in C0-C3 and Open, created within :account_open_age_days), and its sentiment (label, recent mean, answered
-- share, recent calls, negative terms).
-- inputs: account_rfm, account_sentiment, account_purchases, customer_pipeline_history, as_of_dates

with

dates as (
    select as_of_date from as_of_dates
),

rfm as (
    select * from account_rfm
),

sentiment as (
    select * from account_sentiment
),

purchases as (
    select * from account_purchases
),

typical as (
    -- the date's median interval of the accounts with enough purchase days (exact: an approximate percentile
    -- depends on the order rows arrive in, and the same night must give the same health)
    select as_of_date, percentile(mean_interval_days, 0.5) as median_interval_days
    from rfm
    where orders >= :health_min_orders
    group by as_of_date
),

trend as (
    select
        dates.as_of_date,
        purchases.account_id,
        count(distinct case
            when purchases.purchase_date > date_sub(dates.as_of_date, :health_trend_days) then purchases.purchase_date
        end) as orders_recent,
        count(distinct case
            when purchases.purchase_date <= date_sub(dates.as_of_date, :health_trend_days) then purchases.purchase_date
        end) as orders_prior
    from purchases
    inner join dates
        on purchases.purchase_date <= dates.as_of_date
       and purchases.purchase_date > date_sub(dates.as_of_date, 2 * :health_trend_days)
    group by dates.as_of_date, purchases.account_id
),

account_versions as (
    -- the versions of the accounts' opportunities, with the day each stopped being the known state
    select
        history.opty_id,
        history.account_id,
        history.stage,
        history.status,
        history.created_date,
        to_date(history.updated_at) as known_from_date,
        coalesce(
            lead(to_date(history.updated_at)) over (partition by history.opty_id order by history.updated_at),
            date'9999-12-31'
        ) as known_until_date
    from customer_pipeline_history as history
    where history.account_id is not null
      and history.updated_at is not null
),

open_pipeline as (
    select
        dates.as_of_date,
        account_versions.account_id,
        count(*) as open_opportunities
    from account_versions
    inner join dates
        on account_versions.known_from_date <= dates.as_of_date
       and account_versions.known_until_date > dates.as_of_date
       and account_versions.created_date > date_sub(dates.as_of_date, :account_open_age_days)
    where account_versions.stage in ('C0', 'C1', 'C2', 'C3')
      and account_versions.status = 'Open'
    group by dates.as_of_date, account_versions.account_id
),

final as (
    select
        -- ids
        rfm.as_of_date,
        rfm.account_id,
        rfm.account_name,
        rfm.segment,
        rfm.dealer_code,
        rfm.district,
        rfm.state,
        rfm.rfm_segment,
        -- purchases
        rfm.recency_days,
        case when rfm.orders >= :health_min_orders then rfm.mean_interval_days end as mean_interval_days,
        coalesce(
            case when rfm.orders >= :health_min_orders then rfm.mean_interval_days end,
            typical.median_interval_days
        ) as interval_days,
        cast(coalesce(trend.orders_recent, 0) as bigint) as orders_recent,
        cast(coalesce(trend.orders_prior, 0) as bigint) as orders_prior,
        -- pipeline and calls
        cast(coalesce(open_pipeline.open_opportunities, 0) as bigint) as open_opportunities,
        coalesce(sentiment.label, 'Unknown') as sentiment_label,
        sentiment.score_recent as sentiment_score,
        sentiment.answer_rate_recent as answer_rate,
        coalesce(sentiment.calls_recent, 0) as calls_recent,
        coalesce(sentiment.top_terms, '') as top_terms
    from rfm
    left join typical
        on rfm.as_of_date = typical.as_of_date
    left join trend
        on rfm.as_of_date = trend.as_of_date and rfm.account_id = trend.account_id
    left join open_pipeline
        on rfm.as_of_date = open_pipeline.as_of_date and rfm.account_id = open_pipeline.account_id
    left join sentiment
        on rfm.as_of_date = sentiment.as_of_date and rfm.account_id = sentiment.account_id
)

select * from final
