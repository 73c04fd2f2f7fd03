{{ versioned_records('notices', key='notice_id') }}
