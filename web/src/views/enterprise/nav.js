export const enterpriseLinks = [
  { to: '/enterprise', label: '我的项目' },
  { to: '/enterprise/consultations', label: '咨询' },
  { to: '/enterprise/ratings', label: '评价', roles: ['enterprise'] }, // an agent does not rate
  { to: '/guide', label: '办事指南' },
]
