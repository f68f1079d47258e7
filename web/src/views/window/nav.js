export const windowLinks = [
  { to: '/window', label: '综合窗口' },
  { to: '/dept/consultations', label: '留言转办' },
  { to: '/window/accounts', label: '企业账号' },
  { to: '/guide', label: '办事指南' },
]
