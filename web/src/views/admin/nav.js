export const adminLinks = [
  { to: '/admin/users', label: '用户管理' },
  { to: '/dept', label: '事项办理' },
  { to: '/screen', label: '监督大屏' },
  { to: '/guide', label: '办事指南' },
]
