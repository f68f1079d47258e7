// The dashboard's headline figures (GET /dashboard/summary), as the big screen's tiles and the supervisor's cards
// show them: one list, so that both say the same thing under the same name.
import { percent } from './format.js'

export const fig = (value) => (value === null || value === undefined ? '—' : value)

// [key (data-figure), label, colour or '', value from the summary]
export function summaryFigures(s) {
  const p = s?.projects
  const i = s?.items
  return [
    ['total', '项目总数', '', fig(p?.total)],
    ['in_progress', '办理中', '', fig(p?.in_progress)],
    ['completed', '已办结', '', fig(p?.completed)],
    ['blue', '蓝 · 超前', 'blue', fig(p?.by_colour?.blue)],
    ['yellow', '黄 · 正常', 'yellow', fig(p?.by_colour?.yellow)],
    ['red', '红 · 滞后', 'red', fig(p?.by_colour?.red)],
    ['compression', '审批时限压缩率', '', percent(s?.compression?.ratio)],
    ['open_items', '在办事项 / 预警 / 红', '', `${fig(i?.open)} / ${fig(i?.warning)} / ${fig(i?.red)}`],
    ['alerts_today', '今日预警短信', '', fig(s?.alerts?.today)],
  ].map(([key, label, colour, value]) => ({ key, label, colour, value }))
}

// SMS levels of the alerts log, in Chinese
export const LEVEL_ZH = {
  warning: '预警',
  red: '超期',
  reminder: '超期提醒',
  escalation: '升级督办',
  question_overdue: '留言超时',
  bad_rating: '差评',
  rectification_overdue: '整改超期',
}

const ROLE_ZH = { contact: '联络员', dept_head: '负责人', officer: '审批人员', supervisor: '督办员', service_team: '服务专班' }

// The latest SMS as warnings: the same text at the same minute is one warning, however many people it went to
// (`to` names them by their role).
export function latestWarnings(messages, time) {
  const lines = []
  for (const m of messages || []) {
    const same = lines.find((l) => l.text === m.text && l.level === m.level && time(l.created_at) === time(m.created_at))
    const who = ROLE_ZH[m.recipient_role] || m.recipient_role
    if (same) same.roles.includes(who) || same.roles.push(who)
    else lines.push({ ...m, roles: [who] })
  }
  return lines.map((l) => ({ ...l, to: l.roles.join('、') }))
}
