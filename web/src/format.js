// Times from the API are ISO 8601 with the Asia/Shanghai offset; shown as "2026-10-14 17:30".
export function time(iso) {
  if (!iso) return '—'
  return iso.slice(0, 16).replace('T', ' ')
}

export function percent(value) {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`
}
