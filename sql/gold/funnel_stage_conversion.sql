-- funnel_stage_conversion: C0 -> C1 -> C2 -> C3 -> won per segment over the deals closed in the last
-- :funnel_window_days days (closed deals only, so no stage is censored), with median and 75th-percentile days
-- per stage. Every closed enquiry counts here (also the ones lost at C0: that is lead quality). A won deal has
-- reached every stage; a stage date the export never showed leaves that stage's days out.
-- inputs: closed_deals, as_of_dates; parameter :funnel_window_days

with

deals as (
    select * from closed_deals
),

frames as (
    select
        as_of_date,
        date_sub(as_of_date, :funnel_window_days - 1) as window_start
    from as_of_dates
),

windowed as (
    select
        frames.as_of_date,
        deals.*,
        datediff(deals.c1_date, deals.created_date) as days_c0_c1,
        datediff(deals.c2_date, deals.c1_date) as days_c1_c2,
        datediff(deals.c3_date, deals.c2_date) as days_c2_c3,
        case when deals.is_won then datediff(deals.closed_date, deals.c3_date) end as days_c3_won,
        case when deals.is_won then deals.cycle_days end as days_to_win
    from frames
    inner join deals
        on deals.closed_date between frames.window_start and frames.as_of_date
        and deals.known_date <= frames.as_of_date
),

by_dimension as (
    select
        windowed.*,
        dimensions.*
    from windowed
    lateral view inline(array(
        named_struct('dimension', 'overall', 'segment', 'All', 'segment_state', cast(null as string),
            'segment_district', cast(null as string)),
        named_struct('dimension', 'region', 'segment', windowed.region, 'segment_state', cast(null as string),
            'segment_district', cast(null as string)),
        named_struct('dimension', 'district', 'segment', concat(windowed.district, ', ', windowed.state),
            'segment_state', windowed.state, 'segment_district', windowed.district),
        named_struct('dimension', 'dealer', 'segment', windowed.dealer_code, 'segment_state', windowed.state,
            'segment_district', windowed.district),
        named_struct('dimension', 'product_line', 'segment', windowed.product_line,
            'segment_state', cast(null as string), 'segment_district', cast(null as string)),
        named_struct('dimension', 'lead_source', 'segment', windowed.lead_source,
            'segment_state', cast(null as string), 'segment_district', cast(null as string)),
        named_struct('dimension', 'customer_type', 'segment', windowed.customer_type,
            'segment_state', cast(null as string), 'segment_district', cast(null as string)),
        named_struct('dimension', 'enquiry_type', 'segment', windowed.opty_category,
            'segment_state', cast(null as string), 'segment_district', cast(null as string))
    )) dimensions  -- (no "as": Sail 0.7.2 cannot resolve a lateral view alias written with it)
),

stages as (
    select
        as_of_date,
        dimension,
        segment,
        max_by(segment_state, closed_date) as state,
        max_by(segment_district, closed_date) as district,
        count(*) as deals,
        count_if(stage_reached >= 1) as reached_c1,
        count_if(stage_reached >= 2) as reached_c2,
        count_if(stage_reached >= 3) as reached_c3,
        count_if(is_won) as won,
        -- the median and the 75th percentile of a measure from one aggregate: one sort of its values, not two
        percentile(days_c0_c1, array(0.5D, 0.75D)) as days_c0_c1_q,
        percentile(days_c1_c2, array(0.5D, 0.75D)) as days_c1_c2_q,
        percentile(days_c2_c3, array(0.5D, 0.75D)) as days_c2_c3_q,
        percentile(days_c3_won, array(0.5D, 0.75D)) as days_c3_won_q,
        percentile(days_to_win, array(0.5D, 0.75D)) as days_to_win_q
    from by_dimension
    where segment is not null
    group by as_of_date, dimension, segment
),

final as (
    select
        -- ids
        as_of_date,
        dimension,
        segment,
        state,
        district,
        cast(:funnel_window_days as int) as window_days,
        -- how many got how far
        deals,
        reached_c1,
        reached_c2,
        reached_c3,
        won,
        -- stage to stage conversion
        round(cast(reached_c1 as double) / deals, 6) as c0_to_c1,
        round(cast(reached_c2 as double) / nullif(reached_c1, 0), 6) as c1_to_c2,
        round(cast(reached_c3 as double) / nullif(reached_c2, 0), 6) as c2_to_c3,
        round(cast(won as double) / nullif(reached_c3, 0), 6) as c3_to_won,
        round(cast(won as double) / deals, 6) as c0_to_won,
        -- days per stage
        days_c0_c1_q[0] as median_days_c0_c1,
        days_c0_c1_q[1] as p75_days_c0_c1,
        days_c1_c2_q[0] as median_days_c1_c2,
        days_c1_c2_q[1] as p75_days_c1_c2,
        days_c2_c3_q[0] as median_days_c2_c3,
        days_c2_c3_q[1] as p75_days_c2_c3,
        days_c3_won_q[0] as median_days_c3_won,
        days_c3_won_q[1] as p75_days_c3_won,
        days_to_win_q[0] as median_days_to_win,
        days_to_win_q[1] as p75_days_to_win
    from stages
)

select * from final
