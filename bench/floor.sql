-- The FLOOR of the benchmark: contract §2 load rules and §7 indicators in one DuckDB script.
--
-- Input (bench/floor.py loads the inbox files as text, nothing parsed):
--   raw_<source>(<contract column> VARCHAR …, _key_num BOOLEAN, _source_file, _file_name, _row)
--     one table per source, every cell as exported (GBK decoded, title rows skipped, headers
--     renamed to the contract's column names, mapping values/constants applied);
--   ref_townships(township_code, township_name, aliases) as exported;
--   params(as_of DATE or NULL, today DATE).
-- Output: township_daily(township_code, township_name, date, indicator, breakdown, value),
-- the rows of the published data/township_daily.csv.
--
-- No Dagster, no dbt, no checks: what the pipeline does for this one table, written once.

-- ── text helpers (contract §2) ─────────────────────────────────────────────────────────
create or replace macro fw(v) as translate(v,
    '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　',
    '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ');
-- trim ASCII space/tab/CR/LF, U+3000, U+00A0, BOM; null tokens -> NULL
create or replace macro trim_chars() as ' ' || chr(9) || chr(13) || chr(10) || chr(12288) || chr(160) || chr(65279);
create or replace macro cl(v) as (
    case when trim(v, trim_chars()) in ('', '无', '/', '-', '—', '暂无', 'NULL', 'null', 'NaN')
         then null else trim(v, trim_chars()) end);
-- a cleaned value in full-width-to-ASCII columns (ids, codes, numbers, dates, township)
create or replace macro ca(v) as case when regexp_matches(cl(v), '[\x{ff01}-\x{ff5e}\x{3000}]') then fw(cl(v)) else cl(v) end;
-- ids and codes: internal whitespace removed (Python's \s, Unicode included)
create or replace macro nws(v) as regexp_replace(v, '[\s\x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]+', '', 'g');
create or replace macro nid(v) as nws(ca(v));
-- the id shows it went through a float (or arrived as a number it cannot hold exactly)
create or replace macro id_lost(v, num) as coalesce(
    regexp_full_match(v, '[+-]?\d+(\.\d*)?[eE][+-]?\d+') or regexp_full_match(v, '[+-]?\d+\.\d*')
    or (num and (not regexp_full_match(v, '[+-]?\d+')
                 or length(regexp_replace(v, '^[+-]', '')) > 16
                 or (length(regexp_replace(v, '^[+-]', '')) = 16 and regexp_replace(v, '^[+-]', '') > '9007199254740992'))),
    false);

-- dates: ISO, slashes, 年月日[时分秒], compact, Excel serial — parsed once per distinct text below

-- ── numbers and booleans ───────────────────────────────────────────────────────────────
create or replace macro parse_int(raw) as (
    case when regexp_full_match(replace(raw, ',', ''), '[+-]?\d+') then try_cast(replace(raw, ',', '') as bigint)
         when regexp_full_match(replace(raw, ',', ''), '[+-]?\d+\.0*') then try_cast(split_part(replace(raw, ',', ''), '.', 1) as bigint)
    end);
create or replace macro parse_money(raw) as (
    with m as (select regexp_extract(replace(raw, '￥', '¥'),
        '^(?:[¥￥]|RMB|CNY)?\s*([+-]?[\d,]*\.?\d+)\s*(万元|万|元)?$', ['n', 'u']) as x)
    select case
        when raw is null or x.n = '' then null
        when x.n like '%,%' and not regexp_full_match(x.n, '[+-]?\d{1,3}(,\d{3})*(\.\d+)?') then null
        else round(replace(x.n, ',', '')::decimal(38, 10) * (case when x.u like '万%' then 10000 else 1 end), 2)::double
    end from m);
create or replace macro parse_bool(raw) as (
    case when lower(raw) in ('是', 'y', 'yes', '1', 'true', 't', '√', '✓', '✔', '1.0') then true
         when lower(raw) in ('否', 'n', 'no', '0', 'false', 'f', '×', '✗', '✘', 'x', '0.0') then false end);

-- ── reference: township code, name or alias -> code ────────────────────────────────────
create or replace table township_lookup as
with t as (
    select nid(township_code) as code, cl(township_name) as name, cl(aliases) as aliases from ref_townships
),
names as (
    select code, code as n from t
    union all select code, name from t
    union all select code, unnest(string_split(replace(aliases, '；', ';'), ';')) from t
)
select distinct nws(fw(n)) as n, code
from names where n is not null and nws(fw(n)) <> '';
create or replace table townships as select distinct nid(township_code) as township_code, cl(township_name) as township_name
from ref_townships;

-- ── every distinct date text, parsed once ───────────────────────────────────────────────
create or replace table date_texts as
select distinct v from (
    select ca(reported_at) as v from raw_grid_events union all select ca(updated_at) from raw_grid_events
    union all select ca(inspected_on) from raw_inspections union all select ca(accepted_on) from raw_inspections
    union all select ca(updated_at) from raw_inspections
    union all select ca(filed_on) from raw_cases union all select ca(closed_on) from raw_cases
    union all select ca(police_transfer_on) from raw_cases union all select ca(updated_at) from raw_cases
    union all select ca(notice_date) from raw_notices union all select ca(updated_at) from raw_notices
    union all select ca(reported_at) from raw_police_alarms
) where v is not null;

create or replace table dates as
with x as (
    select v,
        case when regexp_matches(v, '^\d{4}\s*[-/.年]') then regexp_extract(v,
            '^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:(?:\s+|T|\s*)(\d{1,2})\s*[:时点]\s*(\d{1,2})\s*(?:分)?(?:\s*[:]?\s*(\d{1,2})(?:\.\d+)?\s*秒?)?)?$',
            ['y', 'mo', 'd', 'h', 'mi', 's'])
        else regexp_extract(v, '^(\d{4})(\d{2})(\d{2})(?:\s*(\d{2})(\d{2})(\d{2})?)?$', ['y', 'mo', 'd', 'h', 'mi', 's'])
        end as m
    from date_texts
),
y as (
    select v, m.y as y, m.mo as mo, m.d as d, coalesce(nullif(m.h, '')::int, 0) as h,
        coalesce(nullif(m.mi, '')::int, 0) as mi, coalesce(nullif(m.s, '')::int, 0) as s
    from x
)
select v, case
    when y <> '' then case when y::int >= 1 and h < 24 and mi < 60 and s < 60
        then try_cast(printf('%s-%s-%s %02d:%02d:%02d', y, lpad(mo, 2, '0'), lpad(d, 2, '0'), h, mi, s) as timestamp) end
    when regexp_full_match(v, '\d{5}(\.\d+)?') and v::double between 20000 and 80000
        then timestamp '1899-12-30' + to_days(floor(v::double)::int)
             + to_seconds(round((v::double - floor(v::double)) * 86400)::bigint)
    end as ts
from y;

-- ── typed rows per source: ingest's hard checks (missing key / date, bad date, unknown township)
create or replace table ev as
with c as (
    select nid(event_id) as k, _key_num as num, ca(reported_at) as reported_t, ca(updated_at) as updated_t,
        cl(event_category) as event_category, cl(status) as status, parse_bool(ca(is_enforcement_lead)) as is_enforcement_lead,
        nws(ca(township_code)) as twp_t, _source_file, _file_name, _row
    from raw_grid_events
),
p as (
    select c.*, d1.ts as reported_at, d2.ts as updated_at, tl.code as township_code
    from c left join dates d1 on d1.v = c.reported_t left join dates d2 on d2.v = c.updated_t
    left join township_lookup tl on tl.n = c.twp_t
)
select *, case when id_lost(k, num) then k || '|' || strftime(reported_at, '%Y-%m-%d %H:%M:%S') else k end as record_key
from p where k is not null and reported_t is not null and reported_at is not null and township_code is not null;

create or replace table insp as
with c as (
    select nid(inspection_id) as k, _key_num as num, ca(inspected_on) as inspected_t, ca(updated_at) as updated_t,
        ca(accepted_on) as accepted_t, cl(target_type) as target_type, cl(inspection_method) as inspection_method,
        parse_int(ca(hazards_found)) as hazards_found, cl(rectification_status) as rectification_status,
        nws(ca(township_code)) as twp_t, _source_file, _file_name, _row
    from raw_inspections
),
p as (
    select c.*, cast(d1.ts as date) as inspected_on, d2.ts as updated_at, cast(d3.ts as date) as accepted_on,
        tl.code as township_code
    from c left join dates d1 on d1.v = c.inspected_t left join dates d2 on d2.v = c.updated_t
    left join dates d3 on d3.v = c.accepted_t left join township_lookup tl on tl.n = c.twp_t
)
select *, case when id_lost(k, num) then k || '|' || strftime(inspected_on, '%Y-%m-%d') else k end as record_key
from p where k is not null and inspected_t is not null and inspected_on is not null and township_code is not null;

-- cases: the primary counting date is 立案日期, else 结案日期 (简易程序), by which one has a value
create or replace table cs as
with c as (
    select nid(case_id) as k, _key_num as num, ca(filed_on) as filed_t, ca(closed_on) as closed_t,
        ca(police_transfer_on) as transfer_t, ca(updated_at) as updated_t, cl(outcome) as outcome,
        cl(enforcement_domain) as enforcement_domain, parse_money(ca(fine_yuan)) as fine_yuan,
        nws(ca(township_code)) as twp_t, _source_file, _file_name, _row
    from raw_cases
),
p as (
    select c.*, cast(d1.ts as date) as filed_on, cast(d2.ts as date) as closed_on, cast(d3.ts as date) as police_transfer_on,
        d4.ts as updated_at, tl.code as township_code
    from c left join dates d1 on d1.v = c.filed_t left join dates d2 on d2.v = c.closed_t
    left join dates d3 on d3.v = c.transfer_t left join dates d4 on d4.v = c.updated_t
    left join township_lookup tl on tl.n = c.twp_t
),
q as (
    select *, case when filed_t is not null then filed_on else closed_on end as counting_date from p
)
select *, case when id_lost(k, num) then k || '|' || strftime(counting_date, '%Y-%m-%d') else k end as record_key
from q where k is not null and coalesce(filed_t, closed_t) is not null and counting_date is not null
    and township_code is not null;

create or replace table nt as
with c as (
    select nid(notice_id) as k, _key_num as num, ca(notice_date) as date_t, ca(updated_at) as updated_t,
        cl(notice_type) as notice_type, nid(matter_code) as matter_code, nws(ca(township_code)) as twp_t,
        _source_file, _file_name, _row
    from raw_notices
),
p as (
    select c.*, cast(d1.ts as date) as notice_date, d2.ts as updated_at, tl.code as township_code
    from c left join dates d1 on d1.v = c.date_t left join dates d2 on d2.v = c.updated_t
    left join township_lookup tl on tl.n = c.twp_t
)
select *, case when id_lost(k, num) then k || '|' || strftime(notice_date, '%Y-%m-%d') else k end as record_key
from p where k is not null and date_t is not null and notice_date is not null and township_code is not null;

create or replace table al as
with c as (
    select nid(alarm_id) as k, _key_num as num, ca(reported_at) as reported_t, cl(alarm_subcategory) as alarm_subcategory,
        parse_bool(ca(is_valid)) as is_valid, nid(merge_id) as merge_id, nws(ca(township_code)) as twp_t,
        _source_file, _file_name, _row
    from raw_police_alarms
),
p as (
    select c.*, d1.ts as reported_at, tl.code as township_code
    from c left join dates d1 on d1.v = c.reported_t left join township_lookup tl on tl.n = c.twp_t
)
select *, case when id_lost(k, num) then k || '|' || strftime(reported_at, '%Y-%m-%d %H:%M:%S') else k end as record_key
from p where k is not null and reported_t is not null and reported_at is not null and township_code is not null;

-- ── as-of: given, else the latest counting date not after today ─────────────────────────
create or replace table as_of as
select coalesce((select as_of from params), (
    select max(d) from (
        select cast(reported_at as date) as d from ev union all select inspected_on from insp
        union all select counting_date from cs union all select notice_date from nt
        union all select cast(reported_at as date) from al
    ) where d <= (select today from params))) as as_of_date;

-- ── versions (contract §2 v1.1): dates after as-of + horizon are unusable; the latest
--    更新时间 (else the file name's export date, when some version has 更新时间) wins, then the
--    file name sorting last, its path, the last row. Future-dated rows take no part.
create or replace macro file_date(name) as
    try_strptime(list_filter(regexp_extract_all(name, '\d+'), lambda x: length(x) = 8 and try_strptime(x, '%Y%m%d') is not null)[-1],
                 '%Y%m%d') + interval '23 hours 59 minutes 59 seconds';

create or replace macro after(d, days) as cast(d as date) > (select as_of_date from as_of) + days;

create or replace table ev_cur as
with c as (
    select * replace (case when not coalesce(after(updated_at, 1), false) then updated_at end as updated_at),
        file_date(_file_name) as fd
    from ev where not after(reported_at, 1)
), e as (
    select *, case when max(updated_at) over (partition by record_key) is not null then coalesce(updated_at, fd) end as eff
    from c
)
select * from e qualify row_number() over (partition by record_key
    order by eff desc nulls last, _file_name desc, _source_file desc, _row desc) = 1;

create or replace table insp_cur as
with c as (
    select * replace (case when not coalesce(after(updated_at, 1), false) then updated_at end as updated_at,
                      case when not coalesce(after(accepted_on, 1), false) then accepted_on end as accepted_on),
        file_date(_file_name) as fd
    from insp where not after(inspected_on, 1)
), e as (
    select *, case when max(updated_at) over (partition by record_key) is not null then coalesce(updated_at, fd) end as eff
    from c
)
select * from e qualify row_number() over (partition by record_key
    order by eff desc nulls last, _file_name desc, _source_file desc, _row desc) = 1;

create or replace table cs_cur as
with c as (
    select * replace (case when not coalesce(after(updated_at, 1), false) then updated_at end as updated_at,
                      case when not coalesce(after(closed_on, 1), false) then closed_on end as closed_on,
                      case when not coalesce(after(police_transfer_on, 1), false) then police_transfer_on end as police_transfer_on),
        file_date(_file_name) as fd
    from cs where not after(counting_date, 1)
), e as (
    select *, case when max(updated_at) over (partition by record_key) is not null then coalesce(updated_at, fd) end as eff
    from c
)
select * from e qualify row_number() over (partition by record_key
    order by eff desc nulls last, _file_name desc, _source_file desc, _row desc) = 1;

create or replace table nt_cur as
with c as (
    select * replace (case when not coalesce(after(updated_at, 1), false) then updated_at end as updated_at),
        file_date(_file_name) as fd
    from nt where not after(notice_date, 1)
), e as (
    select *, case when max(updated_at) over (partition by record_key) is not null then coalesce(updated_at, fd) end as eff
    from c
)
select * from e qualify row_number() over (partition by record_key
    order by eff desc nulls last, _file_name desc, _source_file desc, _row desc) = 1;

-- police alarms have no 更新时间: the file decides
create or replace table al_cur as
select * from al where not after(reported_at, 1)
qualify row_number() over (partition by record_key order by _file_name desc, _source_file desc, _row desc) = 1;

-- alarm incidents (§7 v1.1): grouped by 合并编号, dated by the first 报警时间, located and
-- sub-categorised by the first valid alarm (else the first alarm)
create or replace table incidents as
with k as (
    select *, case when merge_id is null or merge_id = '' then 'a:' || record_key else 'm:' || merge_id end as incident_id,
        coalesce(is_valid, false) as v
    from al_cur
)
select incident_id,
    cast(min(reported_at) as date) as first_reported_on,
    arg_min_null(township_code, (case when v then 0 else 1 end, reported_at, record_key)) as township_code,
    bool_or(v) as is_valid,
    arg_min_null(alarm_subcategory, (case when v then 0 else 1 end, reported_at, record_key)) filter (where v) as alarm_subcategory
from k group by incident_id;

-- ── §7 indicators per township and day ────────────────────────────────────────────────
create or replace table township_daily as
with ev_c as (select * from ev_cur where coalesce(status, '') <> '已作废'),
cs_c as (select * from cs_cur where coalesce(outcome, '') <> '撤销立案'),
u as (
    select township_code, cast(reported_at as date) as d, 'events_reported' as indicator, 'all' as breakdown, count(*)::double as value from ev_c group by all
    union all select township_code, cast(reported_at as date), 'enforcement_leads', 'all', count(*) from ev_c where is_enforcement_lead group by all
    union all select township_code, cast(reported_at as date), 'petitions_disputes', 'all', count(*) from ev_c where event_category in ('矛盾纠纷', '信访') group by all
    union all select township_code, inspected_on, 'inspections', 'all', count(*) from insp_cur group by all
    union all select township_code, inspected_on, 'inspections', coalesce(target_type, '未知'), count(*) from insp_cur group by all
    union all select township_code, inspected_on, 'one_visit_inspections', 'all', count(*) from insp_cur where inspection_method = '综合查一次' group by all
    union all select township_code, inspected_on, 'hazards_found', 'all', sum(hazards_found) from insp_cur where hazards_found is not null group by all
    union all select township_code, accepted_on, 'hazards_accepted', 'all', sum(hazards_found) from insp_cur
        where rectification_status = '已整改' and accepted_on is not null and hazards_found is not null group by all
    union all select township_code, filed_on, 'cases_filed', 'all', count(*) from cs_c where filed_on is not null group by all
    union all select township_code, filed_on, 'cases_filed', coalesce(enforcement_domain, '未知'), count(*) from cs_c where filed_on is not null group by all
    union all select township_code, closed_on, 'cases_closed', 'all', count(*) from cs_c where closed_on is not null group by all
    union all select township_code, closed_on, 'fines_yuan', 'all', sum(fine_yuan) from cs_c where closed_on is not null and fine_yuan is not null group by all
    union all select township_code, coalesce(police_transfer_on, closed_on), 'police_transfers', 'all', count(*) from cs_c
        where outcome = '移送公安' and coalesce(police_transfer_on, closed_on) is not null group by all
    union all select township_code, notice_date, 'first_violation_notices', 'all', count(*) from nt_cur where notice_type = '首违提醒' group by all
    union all select township_code, notice_date, 'first_violation_notices', coalesce(matter_code, '未知'), count(*) from nt_cur where notice_type = '首违提醒' group by all
    union all select township_code, notice_date, 'service_in_lieu', 'all', count(*) from nt_cur where notice_type = '以服代罚' group by all
    union all select township_code, first_reported_on, 'alarms_received', 'all', count(*) from incidents group by all
    union all select township_code, first_reported_on, 'valid_alarms', 'all', count(*) from incidents where is_valid group by all
    union all select township_code, first_reported_on, 'valid_alarms', coalesce(alarm_subcategory, '未知'), count(*) from incidents where is_valid group by all
)
select u.township_code, t.township_name, u.d as date, u.indicator, u.breakdown, u.value
from u left join townships t using (township_code)
where u.d <= (select as_of_date from as_of) and u.value <> 0
order by all;
