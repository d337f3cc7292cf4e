-- account_cross_sell: per account, the product lines it has not bought that accounts buying what it buys also
-- buy. Each line the account holds (bought in the last :affinity_window_days) brings the consequents of its
-- reportable rules with a shrunk lift of :affinity_min_lift or more (product_affinity); a line the account already
-- holds is never suggested. Per suggested line the strongest rule (shrunk confidence) says why; the
-- :cross_sell_per_account best lines are kept, highest confidence first.
-- inputs: product_affinity, account_purchases, as_of_dates

with

dates as (
    select as_of_date from as_of_dates
),

purchases as (
    select * from account_purchases
),

rules as (
    select *
    from product_affinity
    where is_reportable and lift_shrunk >= :affinity_min_lift
),

holdings as (
    select distinct
        dates.as_of_date,
        purchases.account_id,
        purchases.product_line
    from purchases
    inner join dates
        on purchases.purchase_date <= dates.as_of_date
       and purchases.purchase_date > date_sub(dates.as_of_date, :affinity_window_days)
    where purchases.product_line is not null
),

candidates as (
    select
        holdings.as_of_date,
        holdings.account_id,
        rules.consequent as product_line,
        rules.antecedent as because_of,
        rules.confidence_shrunk as confidence,
        rules.lift_shrunk as lift,
        rules.pair_accounts
    from holdings
    inner join rules
        on holdings.as_of_date = rules.as_of_date
       and holdings.product_line = rules.antecedent
    left join holdings as owned
        on holdings.as_of_date = owned.as_of_date
       and holdings.account_id = owned.account_id
       and rules.consequent = owned.product_line
    where owned.account_id is null
),

strongest as (
    -- one reason per suggested line: its strongest rule
    select *
    from (
        select
            candidates.*,
            row_number() over (
                partition by as_of_date, account_id, product_line order by confidence desc, because_of
            ) as reason_n
        from candidates
    ) as ranked
    where reason_n = 1
),

ranked as (
    select
        strongest.*,
        row_number() over (
            partition by as_of_date, account_id order by confidence desc, lift desc, product_line
        ) as suggestion_rank
    from strongest
),

final as (
    select
        -- ids
        as_of_date,
        account_id,
        cast(suggestion_rank as int) as rank,
        product_line,
        because_of,
        -- measures
        confidence,
        lift,
        pair_accounts
    from ranked
    where suggestion_rank <= :cross_sell_per_account
)

select * from final
