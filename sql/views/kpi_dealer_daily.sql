-- kpi_dealer_daily: per dealer, product line and day over the KPI reach, the facts every KPI table sums.
-- A lead counts on its creation day, high intent by its classification as created; a booking on the day the
-- opportunity first reached C3; a deal closed (won) on the day of its first Won or Lost (Won) version; retail
-- by invoice date; stock by snapshot date. A day's facts do not depend on the as-of date that reads them.
-- inputs: customer_pipeline_history, retail, stock, as_of_dates, high_intent_classes; parameter :kpi_reach_days

with

bounds as (
    select
        date_sub(min(as_of_date), :kpi_reach_days) as first_day,
        max(as_of_date) as last_day
    from as_of_dates
),

versions as (
    select
        history.opty_id,
        history.dealer_code,
        history.product_line,
        history.created_date,
        history.lead_classification,
        history.stage,
        history.status,
        history.updated_at,
        to_date(history.updated_at) as version_date
    from customer_pipeline_history as history
    cross join bounds
    where to_date(history.updated_at) between bounds.first_day and bounds.last_day
),

first_versions as (
    select
        versions.*,
        row_number() over (partition by versions.opty_id order by versions.updated_at) as version_number
    from versions
),

created as (
    select
        first_versions.dealer_code,
        first_versions.product_line,
        first_versions.created_date as day,
        count(*) as leads,
        count(classes.lead_classification) as hi_leads
    from first_versions
    left join high_intent_classes as classes
        on first_versions.lead_classification = classes.lead_classification
    where first_versions.version_number = 1
      and first_versions.created_date = first_versions.version_date
    group by first_versions.dealer_code, first_versions.product_line, first_versions.created_date
),

milestones as (
    select
        opty_id,
        dealer_code,
        product_line,
        min(case when stage = 'C3' then version_date end) as booked_date,
        min(case when status in ('Won', 'Lost') then version_date end) as closed_date,
        min(case when status = 'Won' then version_date end) as won_date
    from versions
    group by opty_id, dealer_code, product_line
),

booked as (
    select dealer_code, product_line, booked_date as day, count(*) as bookings
    from milestones
    where booked_date is not null
    group by dealer_code, product_line, booked_date
),

closed as (
    select
        dealer_code,
        product_line,
        closed_date as day,
        count(*) as closed,
        count_if(won_date = closed_date) as won
    from milestones
    where closed_date is not null
    group by dealer_code, product_line, closed_date
),

sales as (
    select
        retail.dealer_code,
        retail.product_line,
        retail.retail_date as day,
        sum(retail.units) as retail_units,
        sum(retail.value) as retail_value
    from retail
    cross join bounds
    where retail.retail_date between bounds.first_day and bounds.last_day
    group by retail.dealer_code, retail.product_line, retail.retail_date
),

shelves as (
    select
        stock.dealer_code,
        stock.product_line,
        stock.snapshot_date as day,
        sum(stock.saleable_stock) as saleable_stock,
        sum(stock.total_stock) as total_stock
    from stock
    cross join bounds
    where stock.snapshot_date between bounds.first_day and bounds.last_day
    group by stock.dealer_code, stock.product_line, stock.snapshot_date
),

facts as (
    select dealer_code, product_line, day, leads, hi_leads, 0 as bookings, 0 as closed, 0 as won,
           0 as retail_units, cast(null as double) as retail_value, cast(null as bigint) as saleable_stock,
           cast(null as bigint) as total_stock
    from created
    union all
    select dealer_code, product_line, day, 0, 0, bookings, 0, 0, 0, null, null, null from booked
    union all
    select dealer_code, product_line, day, 0, 0, 0, closed, won, 0, null, null, null from closed
    union all
    select dealer_code, product_line, day, 0, 0, 0, 0, 0, retail_units, retail_value, null, null from sales
    union all
    select dealer_code, product_line, day, 0, 0, 0, 0, 0, 0, null, saleable_stock, total_stock from shelves
),

final as (
    select
        -- ids
        dealer_code,
        product_line,
        day,
        -- measures
        cast(sum(leads) as bigint) as leads,
        cast(sum(hi_leads) as bigint) as hi_leads,
        cast(sum(bookings) as bigint) as bookings,
        cast(sum(closed) as bigint) as closed,
        cast(sum(won) as bigint) as won,
        cast(sum(retail_units) as bigint) as retail_units,
        sum(retail_value) as retail_value,
        cast(sum(saleable_stock) as bigint) as saleable_stock,
        cast(sum(total_stock) as bigint) as total_stock
    from facts
    where dealer_code is not null and product_line is not null
    group by dealer_code, product_line, day
)

select * from final
