// Months as the suite counts them: its clock (a manual one in a demo) may stand anywhere, so "this month" comes from
// the gateway (GET /dashboard/trends?months=1), never from the browser's own clock.
import { api } from './api.js'

export function shiftMonth(month, by) {
  const [y, m] = month.split('-').map(Number)
  const n = y * 12 + (m - 1) + by
  return `${Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, '0')}`
}

// The current month and the `count - 1` before it, newest first.
export async function recentMonths(count = 12) {
  const [current] = (await api.get('/dashboard/trends', { params: { months: 1 } })).months
  return Array.from({ length: count }, (_, i) => shiftMonth(current, -i))
}

export function monthLabel(month) {
  if (!month) return '—'
  const [y, m] = month.split('-')
  return `${y}年${Number(m)}月`
}
