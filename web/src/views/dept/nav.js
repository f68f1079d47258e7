export const deptLinks = [
  { to: '/dept', label: '待办事项' },
  { to: '/dept/consultations', label: '留言答复' },
  { to: '/guide', label: '办事指南' },
]
