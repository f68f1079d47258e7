export const windowLinks = [
  { to: '/window', label: '综合窗口' },
  { to: '/dept/consultations', label: '留言转办' },
  { to: '/guide', label: '办事指南' },
]
