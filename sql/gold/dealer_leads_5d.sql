-- dealer_leads_5d: leads and high-intent leads created in the current window (the window_days days ending
-- on the as-of date) vs the previous window of the same length; classification as known on the as-of date.
-- inputs: as_of_dates, opportunity_versions, high_intent_classes(lead_classification); parameter :window_days

with

dates as (
    select as_of_date from as_of_dates
),

-- each opportunity as known at the end of the as-of date, when its two windows hold its creation date
as_known as (
    select
        dates.as_of_date,
        versions.opty_id,
        versions.dealer_code,
        versions.created_date,
        versions.lead_classification
    from opportunity_versions as versions
    inner join dates
        on versions.known_from_date <= dates.as_of_date
       and versions.known_until_date > dates.as_of_date
       and versions.created_date between date_sub(dates.as_of_date, 2 * :window_days - 1) and dates.as_of_date
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
