export const deptLinks = [
  { to: '/dept', label: '待办事项' },
  { to: '/dept/consultations', label: '留言答复' },
  { to: '/supervision', label: '督查首页', roles: ['supervisor', 'admin'] },
  { to: '/supervision', label: '本部门统计', roles: ['dept_head'] }, // the dashboard answers a head for their department
  { to: '/guide', label: '办事指南' },
]
