-- dealer_leads_5d: leads and high-intent leads created in the current window (the window_days days ending
-- on the as-of date) vs the previous window of the same length; classification as known on the as-of date.
-- inputs: as_of_dates, pipeline_history, high_intent_classes(lead_classification); parameter :window_days

with

dates as (
    select as_of_date from as_of_dates
),

bounds as (
    select
        date_sub(min(as_of_date), 2 * :window_days - 1) as first_created_date,
        max(as_of_date) as last_created_date
    from dates
),

versions as (
    select
        history.opty_id,
        history.dealer_code,
        history.created_date,
        history.lead_classification,
        history.updated_at
    from pipeline_history as history
    cross join bounds
    where history.created_date between bounds.first_created_date and bounds.last_created_date
),

-- each version against the as-of dates whose two windows hold the lead's creation date,
-- known by the end of that as-of date
as_known as (
    select
        dates.as_of_date,
        versions.*,
        row_number() over (
            partition by dates.as_of_date, versions.opty_id order by versions.updated_at desc
        ) as version_rank
    from versions
    inner join dates
        on versions.created_date between date_sub(dates.as_of_date, 2 * :window_days - 1) and dates.as_of_date
       and versions.updated_at < cast(date_add(dates.as_of_date, 1) as timestamp)
),

leads as (
    select
        as_known.as_of_date,
        as_known.dealer_code,
        as_known.created_date > date_sub(as_known.as_of_date, :window_days) as is_current,
        high_intent_classes.lead_classification is not null as is_high_intent
    from as_known
    left join high_intent_classes
        on as_known.lead_classification = high_intent_classes.lead_classification
    where as_known.version_rank = 1
),

counts as (
    select
        as_of_date,
        dealer_code,
        sum(case when is_current then 1 else 0 end) as leads_cur,
        sum(case when not is_current then 1 else 0 end) as leads_prev,
        sum(case when is_current and is_high_intent then 1 else 0 end) as hi_leads_cur,
        sum(case when not is_current and is_high_intent then 1 else 0 end) as hi_leads_prev
    from leads
    group by as_of_date, dealer_code
),

final as (
    select
        -- ids
        as_of_date,
        dealer_code,
        -- measures
        cast(leads_cur as bigint) as leads_cur,
        cast(leads_prev as bigint) as leads_prev,
        cast((leads_cur - leads_prev) as double) / greatest(leads_prev, 1) as lead_growth,
        cast(hi_leads_cur as bigint) as hi_leads_cur,
        cast(hi_leads_prev as bigint) as hi_leads_prev,
        cast((hi_leads_cur - hi_leads_prev) as double) / greatest(hi_leads_prev, 1) as hi_lead_growth
    from counts
)

select * from final
