// The supervision API's words in Chinese, as its printable pages say them.
export const RECTIFICATION_ZH = { open: '待整改', responded: '已反馈待审核', accepted: '已通过待回访', revisited: '已回访' }
export const FLAG_KIND_ZH = { late: '答复不及时', perfunctory: '答复敷衍' }
export const CASE_STATUS_ZH = { open: '待办理', in_progress: '办理中', closed: '已办结' }
export const CASE_MODE_ZH = { online: '线上', offline: '线下' }
export const SCORE_ZH = { 5: '非常满意', 4: '满意', 3: '基本满意', 2: '不满意', 1: '非常不满意' }

// A ratio such as "average used ÷ limit", two decimals
export const ratio = (value) => (value === null || value === undefined ? '—' : value.toFixed(2))
