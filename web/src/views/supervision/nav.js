// 督查端: the supervisor's pages. A department head reads the same figures for their own department (the API
// answers them so) and keeps their workbench.
export const READERS = ['supervisor', 'admin', 'dept_head']
export const SUPERVISORS = ['supervisor']
const OFFICE = ['supervisor', 'admin']

export const supervisionLinks = [
  { to: '/supervision', label: '督查首页' },
  { to: '/supervision/monthly', label: '月度通报' },
  { to: '/supervision/assessment', label: '双月考核' },
  { to: '/supervision/scheduling', label: '月调度' },
  { to: '/supervision/flags', label: '留言督办', roles: SUPERVISORS },
  { to: '/supervision/rectifications', label: '整改审核', roles: SUPERVISORS },
  { to: '/supervision/cases', label: '双线会商', roles: SUPERVISORS },
  { to: '/supervision/projects', label: '重大项目', roles: OFFICE },
  { to: '/dept', label: '全部事项', roles: OFFICE },
  { to: '/dept', label: '部门工作台', roles: ['dept_head'] },
]
