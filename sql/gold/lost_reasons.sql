-- lost_reasons: the deals lost (of those that count in a win rate) by reason and competitor, per district and
-- product line, in the last :lost_window_days days against the same number of days before (the trend), with
-- the share the same reason and competitor take of that product line's losses in the other districts.
-- A loss without a recorded reason is "Not recorded"; a loss to no named competitor has competitor ''.
-- inputs: closed_deals, as_of_dates; parameter :lost_window_days

with

losses as (
    select * from closed_deals
    where is_counted
      and not is_won
),

frames as (
    select
        as_of_date,
        date_sub(as_of_date, :lost_window_days - 1) as window_start,
        date_sub(as_of_date, 2 * :lost_window_days - 1) as prior_start
    from as_of_dates
),

cells as (
    select
        frames.as_of_date,
        losses.state,
        losses.district,
        losses.product_line,
        coalesce(losses.lost_reason, 'Not recorded') as lost_reason,
        coalesce(losses.competitor, '') as competitor,
        count_if(losses.closed_date >= frames.window_start) as losses,
        count_if(losses.closed_date < frames.window_start) as prior_losses
    from frames
    inner join losses
        on losses.closed_date between frames.prior_start and frames.as_of_date
        and losses.known_date <= frames.as_of_date
    group by frames.as_of_date, losses.state, losses.district, losses.product_line,
        coalesce(losses.lost_reason, 'Not recorded'), coalesce(losses.competitor, '')
),

totals as (
    select
        cells.*,
        sum(cells.losses) over (partition by cells.as_of_date, cells.state, cells.district, cells.product_line)
            as cell_losses,
        sum(cells.prior_losses) over (partition by cells.as_of_date, cells.state, cells.district, cells.product_line)
            as cell_prior_losses,
        sum(cells.losses) over (partition by cells.as_of_date, cells.product_line, cells.lost_reason, cells.competitor)
            as product_reason_losses,
        sum(cells.losses) over (partition by cells.as_of_date, cells.product_line) as product_losses
    from cells
),

final as (
    select
        -- ids
        as_of_date,
        state,
        district,
        product_line,
        lost_reason,
        competitor,
        cast(:lost_window_days as int) as window_days,
        -- measures
        losses,
        prior_losses,
        cell_losses,
        round(cast(losses as double) / nullif(cell_losses, 0), 6) as share,
        round(cast(prior_losses as double) / nullif(cell_prior_losses, 0), 6) as prior_share,
        round(cast(losses as double) / nullif(cell_losses, 0)
            - cast(prior_losses as double) / nullif(cell_prior_losses, 0), 6) as share_change,
        round(cast(product_reason_losses - losses as double) / nullif(product_losses - cell_losses, 0), 6)
            as elsewhere_share
    from totals
)

select * from final
