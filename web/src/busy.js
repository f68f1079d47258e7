// One action at a time on a page: `busy` while it runs (buttons wait), its error shown where the page says.
// `const { busy, run } = useBusy()`; `run(errorRef, action)` clears the error, awaits the action and keeps what it
// throws in `errorRef` for the Problem component.
import { ref } from 'vue'

export function useBusy() {
  const busy = ref(false)
  async function run(errorRef, action) {
    busy.value = true
    errorRef.value = null
    try {
      return await action()
    } catch (err) {
      errorRef.value = err
    } finally {
      busy.value = false
    }
  }
  return { busy, run }
}
