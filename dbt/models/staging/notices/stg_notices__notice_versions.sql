{{ versioned_records('notices', key='notice_id', counting_date='notice_date', has_updated_at=true) }}
