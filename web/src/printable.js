// Printable pages and downloads that need the login's token, which a plain link does not carry: fetch them with
// the token, then show the page in a new window opened at the click (so that the browser does not take it for an
// unwanted pop-up), or save the file under the name the gateway gives it.
import { onBeforeUnmount } from 'vue'
import { ApiError, api } from './api.js'

// `const printable = usePrintable()` in a page's setup; the addresses made for pages are given back with the page.
export function usePrintable() {
  const made = []
  const keep = (blob) => {
    const url = URL.createObjectURL(blob)
    made.push(url)
    return url
  }
  onBeforeUnmount(() => made.forEach((url) => URL.revokeObjectURL(url)))

  return {
    // Opens the page at `path` (GET, as HTML) in a new window; throws an ApiError (in Chinese) when it cannot.
    async open(path, params, waiting = '正在生成…') {
      const win = window.open('', '_blank')
      if (!win) throw new ApiError(0, { title: '无法打开新窗口', detail: '请允许本站打开新窗口后重试' })
      win.document.title = waiting
      try {
        const page = await api.page(path, { params })
        win.location.replace(keep(new Blob([page], { type: 'text/html;charset=utf-8' })))
      } catch (err) {
        win.close()
        throw err
      }
    },
    // Downloads the file at `path` (GET) under the gateway's name for it, else `fallback`.
    async download(path, params, fallback) {
      const { blob, name } = await api.file(path, { params })
      const link = document.createElement('a')
      link.href = keep(blob)
      link.download = name || fallback
      document.body.appendChild(link)
      link.click()
      link.remove()
    },
  }
}
