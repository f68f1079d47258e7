// The catalog's names (public, no login): departments, materials, stages and project types, loaded once.
import { reactive } from 'vue'
import { api } from './api.js'

export const names = reactive({ departments: {}, materials: {}, stages: {}, types: {}, typeList: [], loaded: false })
let loading = null

export function loadCatalog() {
  if (!loading) {
    loading = api
      .get('/catalog')
      .then((cat) => {
        for (const d of cat.departments) names.departments[d.code] = d.name_zh
        for (const m of cat.materials) names.materials[m.code] = m.name_zh
        for (const s of cat.stages) names.stages[s.code] = s.name_zh
        for (const t of cat.project_types) names.types[t.code] = t.name_zh
        names.typeList = cat.project_types
        names.loaded = true
      })
      .catch((err) => {
        loading = null // try again on the next page
        throw err
      })
  }
  return loading
}

export const dept = (code) => names.departments[code] || code
export const material = (code) => names.materials[code] || code
export const stageName = (code) => names.stages[code] || code
export const typeName = (code) => names.types[code] || code

export const COLOUR_ZH = { blue: '蓝（超前）', yellow: '黄（正常）', red: '红（滞后）' }
export const ACTION_ZH = {
  submit: '提交',
  pre_review: '预审',
  accept: '受理',
  suspend: '暂停计时',
  resume: '恢复计时',
  approve: '准予许可',
  refuse: '不予许可',
  withdraw: '撤回',
  return: '退回',
}
