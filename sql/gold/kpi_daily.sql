-- kpi_daily: the day's KPIs per level (company, state, district, product line, dealer) and as-of date: leads,
-- high-intent leads, bookings, retail units and value of the day; conversion (won / closed deals of the last
-- :kpi_conversion_days days); saleable stock and its cover in days of the last :kpi_cover_days days' sales;
-- month to date against the month's target (pro rata to the elapsed days) and the run rate (MTD per elapsed
-- day x days in the month); the active reps ratio; the top product mover (the product line whose retail units
-- of the last :kpi_mover_days days rose most over the days before).
-- inputs: kpi_dealer_daily, dealer_geo, targets, customer_pipeline_history, as_of_dates

with

dates as (
    select
        as_of_date,
        date_sub(as_of_date, day(as_of_date) - 1) as month_start,
        day(as_of_date) as elapsed_days,
        day(last_day(as_of_date)) as month_days
    from as_of_dates
),

geo as (
    select as_of_date, dealer_code, state, district from dealer_geo
),

windowed as (
    select
        dates.as_of_date,
        dates.month_start,
        facts.*
    from kpi_dealer_daily as facts
    inner join dates
        on facts.day between date_sub(
            dates.as_of_date,
            greatest(:kpi_conversion_days, :kpi_cover_days, 2 * :kpi_mover_days, 31) - 1
        ) and dates.as_of_date
),

cells as (
    select
        as_of_date,
        dealer_code,
        product_line,
        sum(case when day = as_of_date then leads else 0 end) as leads,
        sum(case when day = as_of_date then hi_leads else 0 end) as hi_leads,
        sum(case when day = as_of_date then bookings else 0 end) as bookings,
        sum(case when day = as_of_date then retail_units else 0 end) as retail_units,
        sum(case when day = as_of_date then retail_value end) as retail_value,
        sum(case when day > date_sub(as_of_date, :kpi_conversion_days) then closed else 0 end) as closed_30d,
        sum(case when day > date_sub(as_of_date, :kpi_conversion_days) then won else 0 end) as won_30d,
        sum(case when day > date_sub(as_of_date, :kpi_cover_days) then retail_units else 0 end) as cover_units,
        sum(case when day >= month_start then retail_units else 0 end) as mtd_units,
        sum(case when day >= month_start then retail_value end) as mtd_value,
        sum(case when day > date_sub(as_of_date, :kpi_mover_days) then retail_units else 0 end) as mover_cur,
        sum(
            case
                when day <= date_sub(as_of_date, :kpi_mover_days)
                    and day > date_sub(as_of_date, 2 * :kpi_mover_days) then retail_units
                else 0
            end
        ) as mover_prev,
        max(case when day = as_of_date then saleable_stock end) as saleable_stock
    from windowed
    group by as_of_date, dealer_code, product_line
),

month_targets as (
    select
        dates.as_of_date,
        targets.dealer_code,
        targets.product_line,
        targets.target_units,
        targets.target_value
    from targets
    inner join dates
        on targets.target_month = dates.month_start
),

keyed as (
    select
        coalesce(cells.as_of_date, month_targets.as_of_date) as as_of_date,
        coalesce(cells.dealer_code, month_targets.dealer_code) as dealer_code,
        coalesce(cells.product_line, month_targets.product_line) as product_line,
        cells.leads,
        cells.hi_leads,
        cells.bookings,
        cells.retail_units,
        cells.retail_value,
        cells.closed_30d,
        cells.won_30d,
        cells.cover_units,
        cells.mtd_units,
        cells.mtd_value,
        cells.mover_cur,
        cells.mover_prev,
        cells.saleable_stock,
        month_targets.target_units,
        month_targets.target_value
    from cells
    full outer join month_targets
        on cells.as_of_date = month_targets.as_of_date
        and cells.dealer_code = month_targets.dealer_code
        and cells.product_line = month_targets.product_line
),

placed as (
    select
        keyed.*,
        geo.state,
        geo.district
    from keyed
    left join geo
        on keyed.as_of_date = geo.as_of_date
        and keyed.dealer_code = geo.dealer_code
),

-- every cell once per level it rolls up into
leveled as (
    select 'company' as level, 'All' as member, cast(null as string) as member_state,
           cast(null as string) as member_district, cast(null as string) as member_dealer,
           cast(null as string) as member_product, placed.*
    from placed
    union all
    select 'state', state, state, null, null, null, placed.* from placed where state is not null
    union all
    select 'district', concat(district, ', ', state), state, district, null, null, placed.*
    from placed
    where district is not null and state is not null
    union all
    select 'product_line', product_line, null, null, null, product_line, placed.* from placed
    union all
    select 'dealer', dealer_code, state, district, dealer_code, null, placed.* from placed
),

rolled as (
    select
        as_of_date,
        level,
        member,
        max(member_state) as state,
        max(member_district) as district,
        max(member_dealer) as dealer_code,
        max(member_product) as product_line,
        sum(coalesce(leads, 0)) as leads,
        sum(coalesce(hi_leads, 0)) as hi_leads,
        sum(coalesce(bookings, 0)) as bookings,
        sum(coalesce(retail_units, 0)) as retail_units,
        sum(retail_value) as retail_value,
        sum(coalesce(closed_30d, 0)) as closed_30d,
        sum(coalesce(won_30d, 0)) as won_30d,
        sum(coalesce(cover_units, 0)) as cover_units,
        sum(coalesce(mtd_units, 0)) as mtd_units,
        sum(mtd_value) as mtd_value,
        sum(saleable_stock) as saleable_stock,
        sum(target_units) as target_units,
        sum(target_value) as target_value
    from leveled
    group by as_of_date, level, member
),

movers as (
    select
        as_of_date,
        level,
        member,
        product_line as mover_product_line,
        sum(coalesce(mover_cur, 0)) - sum(coalesce(mover_prev, 0)) as mover_change
    from leveled
    where level <> 'product_line'
    group by as_of_date, level, member, product_line
),

top_movers as (
    select *
    from (
        select
            movers.*,
            row_number() over (
                partition by as_of_date, level, member order by mover_change desc, mover_product_line
            ) as mover_rank
        from movers
    ) as ranked
    where mover_rank = 1
),

rep_bounds as (
    select
        date_sub(min(as_of_date), :kpi_rep_roster_days - 1) as first_day,
        max(as_of_date) as last_day
    from dates
),

rep_days as (
    select distinct
        history.dealer_code,
        history.rep_id,
        to_date(history.updated_at) as day
    from customer_pipeline_history as history
    cross join rep_bounds
    where history.rep_id is not null
      and to_date(history.updated_at) between rep_bounds.first_day and rep_bounds.last_day
),

-- each consultant's activity days with the next one: on an as-of date a consultant's latest activity is the one
-- whose span holds the date, so each date meets one row per consultant (no count of distinct over a range)
rep_spans as (
    select
        dealer_code,
        rep_id,
        day,
        coalesce(lead(day) over (partition by dealer_code, rep_id order by day), date'9999-12-31') as next_day
    from rep_days
),

dealer_reps as (
    select
        dates.as_of_date,
        rep_spans.dealer_code,
        count(*) as reps,
        count_if(rep_spans.day > date_sub(dates.as_of_date, :kpi_active_rep_days)) as active_reps
    from rep_spans
    inner join dates
        on dates.as_of_date >= rep_spans.day
        and dates.as_of_date < rep_spans.next_day
        and rep_spans.day > date_sub(dates.as_of_date, :kpi_rep_roster_days)
    group by dates.as_of_date, rep_spans.dealer_code
),

rep_levels as (
    select
        leveled_reps.as_of_date,
        leveled_reps.level,
        leveled_reps.member,
        sum(leveled_reps.reps) as reps,
        sum(leveled_reps.active_reps) as active_reps
    from (
        select dealer_reps.*, 'company' as level, 'All' as member from dealer_reps
        union all
        select dealer_reps.*, 'state', geo.state
        from dealer_reps
        inner join geo on dealer_reps.as_of_date = geo.as_of_date and dealer_reps.dealer_code = geo.dealer_code
        where geo.state is not null
        union all
        select dealer_reps.*, 'district', concat(geo.district, ', ', geo.state)
        from dealer_reps
        inner join geo on dealer_reps.as_of_date = geo.as_of_date and dealer_reps.dealer_code = geo.dealer_code
        where geo.district is not null and geo.state is not null
        union all
        select dealer_reps.*, 'dealer', dealer_reps.dealer_code from dealer_reps
    ) as leveled_reps
    group by leveled_reps.as_of_date, leveled_reps.level, leveled_reps.member
),

final as (
    select
        -- ids
        rolled.as_of_date,
        rolled.level,
        rolled.member,
        rolled.state,
        rolled.district,
        rolled.dealer_code,
        rolled.product_line,
        -- the day
        cast(rolled.leads as bigint) as leads,
        cast(rolled.hi_leads as bigint) as hi_leads,
        cast(rolled.bookings as bigint) as bookings,
        cast(rolled.retail_units as bigint) as retail_units,
        rolled.retail_value,
        -- conversion and stock
        cast(rolled.closed_30d as bigint) as closed_30d,
        cast(rolled.won_30d as bigint) as won_30d,
        case when rolled.closed_30d > 0 then cast(rolled.won_30d as double) / rolled.closed_30d end as conversion,
        cast(rolled.saleable_stock as bigint) as saleable_stock,
        case
            when rolled.cover_units > 0 then rolled.saleable_stock / (rolled.cover_units / (:kpi_cover_days * 1.0D))
        end as stock_cover_days,
        -- month to date against target
        cast(rolled.mtd_units as bigint) as mtd_retail_units,
        rolled.mtd_value as mtd_retail_value,
        cast(rolled.target_units as bigint) as target_units,
        rolled.target_value,
        rolled.target_units * dates.elapsed_days / (dates.month_days * 1.0D) as mtd_target_units,
        case
            when rolled.target_units > 0
                then rolled.mtd_units / (rolled.target_units * dates.elapsed_days / (dates.month_days * 1.0D))
        end as target_attainment,
        rolled.mtd_units / (dates.elapsed_days * 1.0D) * dates.month_days as run_rate_units,
        case
            when rolled.target_units > 0
                then rolled.mtd_units / (dates.elapsed_days * 1.0D) * dates.month_days / rolled.target_units
        end as run_rate_vs_target,
        -- people and movers
        cast(rep_levels.active_reps as bigint) as active_reps,
        cast(rep_levels.reps as bigint) as reps,
        case when rep_levels.reps > 0 then cast(rep_levels.active_reps as double) / rep_levels.reps end
            as active_reps_ratio,
        top_movers.mover_product_line as top_mover_product_line,
        cast(top_movers.mover_change as bigint) as top_mover_units_change
    from rolled
    inner join dates
        on rolled.as_of_date = dates.as_of_date
    left join rep_levels
        on rolled.as_of_date = rep_levels.as_of_date
        and rolled.level = rep_levels.level
        and rolled.member = rep_levels.member
    left join top_movers
        on rolled.as_of_date = top_movers.as_of_date
        and rolled.level = top_movers.level
        and rolled.member = top_movers.member
    where rolled.member is not null
)

select * from final
