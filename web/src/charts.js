// The dashboard's charts (ECharts), shared by the big screen (dark, 1920×1080) and the supervisor's home page
// (light, phone and PC): one option builder per chart, drawn in the theme the page passes, and a small holder that
// creates each chart once, resizes the charts with the window and disposes of them with the page.
import { BarChart, LineChart, PieChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { init, use } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'
import { onBeforeUnmount, onMounted } from 'vue'

use([PieChart, BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer])

export const COLOURS = { blue: '#2f7bf5', yellow: '#f2c037', red: '#e5484d' }
export const COLOUR_LEGEND = { blue: '蓝=超前', yellow: '黄=正常', red: '红=滞后' }

// Text sizes and colours of a page: the wall screen reads from across the room, the supervisor's page at arm's length.
export const DARK = {
  text: '#c8d3f5',
  label: '#fff',
  split: '#24305e',
  fontSize: 16,
  labelSize: 18,
  stageSize: 14,
  stageWidth: 120, // every stage's name under its bar, broken into lines where needed
  stageGrid: { left: 50, right: 20, top: 20, bottom: 80 },
  trendGrid: { left: 50, right: 60, top: 40, bottom: 30 },
}
export const LIGHT = {
  text: '#4b5563',
  label: '#1f2937',
  split: '#e5e7eb',
  fontSize: 12,
  labelSize: 13,
  stageSize: 11,
  stageWidth: 64, // stage names break into lines under their bars on a phone
  stageGrid: { left: 36, right: 12, top: 16, bottom: 74 },
  trendGrid: { left: 36, right: 44, top: 64, bottom: 28 },
}

// The trend curves worth a line: [series key, name, y axis (0 counts, 1 rates)].
const TREND_LINES = [
  ['projects_registered', '新登记项目', 0],
  ['projects_finished', '办结项目', 0],
  ['items_red', '红色事项', 0],
  ['alerts', '预警短信', 0],
  ['on_time_rate', '按时办结率', 1],
  ['compression_ratio', '压缩率', 1],
]

const axis = (theme, size = theme.fontSize) => ({ color: theme.text, fontSize: size })

// Charts redraw on every refresh; without animation the figures never show half-drawn (on the wall or in a
// screenshot).
export function colourPie(runningByColour, theme) {
  return {
    animation: false,
    tooltip: { trigger: 'item' },
    legend: { bottom: 0, textStyle: axis(theme) },
    series: [
      {
        type: 'pie',
        radius: ['38%', '62%'],
        center: ['50%', '44%'],
        // the count by each slice; the legend below names the colours (a name beside a slice is cut short)
        label: { color: theme.label, fontSize: theme.labelSize, formatter: '{c}' },
        data: ['blue', 'yellow', 'red']
          .map((c) => ({ name: COLOUR_LEGEND[c], value: runningByColour[c] || 0, itemStyle: { color: COLOURS[c] } }))
          .map((d) => ({ ...d, label: { show: d.value > 0 }, labelLine: { show: d.value > 0 } })),
      },
    ],
  }
}

export function stageBars(byStage, theme) {
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0, textStyle: axis(theme) },
    grid: theme.stageGrid,
    xAxis: {
      type: 'category',
      data: byStage.map((r) => `${r.stage} ${r.name_zh || ''}`),
      axisLabel: theme.stageWidth
        ? { ...axis(theme, theme.stageSize), interval: 0, width: theme.stageWidth, overflow: 'break' }
        : axis(theme, theme.stageSize),
    },
    yAxis: { type: 'value', minInterval: 1, axisLabel: axis(theme), splitLine: { lineStyle: { color: theme.split } } },
    series: ['blue', 'yellow', 'red'].map((c) => ({
      name: COLOUR_LEGEND[c],
      type: 'bar',
      stack: 'colour',
      itemStyle: { color: COLOURS[c] },
      data: byStage.map((r) => r[c] || 0),
    })),
  }
}

export function trendLines(trends, theme) {
  const lines = TREND_LINES.filter(([key]) => Array.isArray(trends.series[key]))
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, textStyle: axis(theme) },
    grid: theme.trendGrid,
    xAxis: { type: 'category', data: trends.months, axisLabel: axis(theme) },
    yAxis: [
      { type: 'value', minInterval: 1, axisLabel: axis(theme), splitLine: { lineStyle: { color: theme.split } } },
      {
        type: 'value',
        min: 0,
        max: 1,
        axisLabel: { ...axis(theme), formatter: (v) => `${Math.round(v * 100)}%` },
        splitLine: { show: false },
      },
    ],
    series: lines.map(([key, name, yAxisIndex]) => ({
      name,
      type: 'line',
      smooth: true,
      smoothMonotone: 'x',
      yAxisIndex,
      connectNulls: true,
      data: trends.series[key],
    })),
  }
}

// `const charts = useCharts()` in a page's setup; `charts.draw('pie', element, option)` draws (creating the chart on
// first use); the charts follow the window's size and are disposed of when the page goes.
export function useCharts() {
  const made = {}
  const resize = () => Object.values(made).forEach((c) => c.resize())
  onMounted(() => window.addEventListener('resize', resize))
  onBeforeUnmount(() => {
    window.removeEventListener('resize', resize)
    Object.values(made).forEach((c) => c.dispose())
  })
  return {
    draw(name, el, option) {
      if (!el) return
      if (!made[name]) made[name] = init(el, null, { renderer: 'canvas' })
      made[name].setOption(option)
    },
  }
}
