{{ config(enabled=var('check_demo_figures', false), tags=['demo_figures']) }}
-- Contract §9: the published figures the demo inbox reproduces, computed by the marts.
-- Only meaningful on the shipped sample data: run with --vars '{check_demo_figures: true}'.
-- Returns one row per figure that does not match.
with

townships as (

    select * from {{ ref('dim_townships') }}

),

daily as (

    select daily.*, townships.township_name as town
    from {{ ref('fct_township_daily') }} as daily
    inner join townships on daily.township_code = townships.township_code

),

parking_matter as (

    select matters.matter_code, matters.township_code
    from {{ ref('dim_matters') }} as matters
    where matters.matter_name = '对在人行道违法停放非机动车的行政处罚'

),

campaigns as (

    select campaigns.*, townships.township_name as town
    from {{ ref('mart_campaigns') }} as campaigns
    inner join townships on campaigns.township_code = townships.township_code
    where campaigns.campaign = '除险保安'

),

figures as (

    select '义桥镇 one_visit_inspections 2022-06-01…08-24' as figure, 1029.0 as expected,
        (select sum(value) from daily where town = '义桥镇' and indicator = 'one_visit_inspections'
            and breakdown = 'all' and date between '2022-06-01' and '2022-08-24') as actual
    union all
    select '义桥镇 first_violation_notices, parking matter, 2022-06-01…08-24', 371.0,
        (select sum(value) from daily
            inner join parking_matter on daily.township_code = parking_matter.township_code
                and daily.breakdown = parking_matter.matter_code
            where town = '义桥镇' and indicator = 'first_violation_notices'
                and date between '2022-06-01' and '2022-08-24')
    union all
    select '义桥镇 valid_alarms 非法捕捞 May–June 2022 vs 2021, % (1 decimal)', -68.3,
        (select round(100.0 * (
                sum(case when date between '2022-05-01' and '2022-06-30' then value else 0 end)
                - sum(case when date between '2021-05-01' and '2021-06-30' then value else 0 end))
            / nullif(sum(case when date between '2021-05-01' and '2021-06-30' then value else 0 end), 0), 1)
         from daily where town = '义桥镇' and indicator = 'valid_alarms' and breakdown = '非法捕捞')
    union all
    select '义桥镇 微网格 count', 560.0,
        (select count(*) from {{ ref('dim_grids') }} as grids
            inner join townships on grids.township_code = townships.township_code
            where townships.township_name = '义桥镇' and grids.is_micro_grid)
    union all
    select '义桥镇 empowered matters', 350.0,
        (select matters_in_catalogue from {{ ref('mart_empowered_matters') }} as m
            inner join townships on m.township_code = townships.township_code
            where townships.township_name = '义桥镇' and m.enforcement_domain = 'all')
    union all
    select '义桥镇 执法领域', 18.0,
        (select domains_in_catalogue from {{ ref('mart_empowered_matters') }} as m
            inner join townships on m.township_code = townships.township_code
            where townships.township_name = '义桥镇' and m.enforcement_domain = 'all')
    union all
    select '义桥镇 户籍人口', 60000.0, (select registered_population from townships where township_name = '义桥镇')
    union all
    select '义桥镇 流动人口', 54000.0, (select floating_population from townships where township_name = '义桥镇')
    union all
    select '瓜沥镇 除险保安 enterprises checked', 296.0,
        (select targets_checked from campaigns where town = '瓜沥镇' and target_type = '企业')
    union all
    select '瓜沥镇 除险保安 street shops checked', 5295.0,
        (select targets_checked from campaigns where town = '瓜沥镇' and target_type = '沿街商铺')
    union all
    select '瓜沥镇 除险保安 rental rooms checked', 17232.0,
        (select targets_checked from campaigns where town = '瓜沥镇' and target_type = '出租房')
    union all
    select '瓜沥镇 除险保安 targets banned', 107.0,
        (select banned from campaigns where town = '瓜沥镇' and target_type = 'all')
    union all
    select '瓜沥镇 empowered matters', 882.0,
        (select matters_in_catalogue from {{ ref('mart_empowered_matters') }} as m
            inner join townships on m.township_code = townships.township_code
            where townships.township_name = '瓜沥镇' and m.enforcement_domain = 'all')
    union all
    select '瓜沥镇 执法领域', 25.0,
        (select domains_in_catalogue from {{ ref('mart_empowered_matters') }} as m
            inner join townships on m.township_code = townships.township_code
            where townships.township_name = '瓜沥镇' and m.enforcement_domain = 'all')
    union all
    select '瓜沥镇 area km²', 126.9, (select area_km2 from townships where township_name = '瓜沥镇')
    union all
    select '瓜沥镇 常住人口', 300000.0, (select resident_population from townships where township_name = '瓜沥镇')

)

select * from figures
where actual is null or abs(actual - expected) > 1e-6
