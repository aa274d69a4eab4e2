// Drives examples/stream.html in headless Chromium while BrowserStreamTest sends traffic: lets records come,
// drops the page's WebSocket once (the page reconnects on its own), reloads the page mid-stream twice, and
// prints every request id the page showed, across the reloads, as one JSON line on stdout.
//   node stream-page.mjs PAGE_URL
// The ids are read from the page's rows. Just before a reload the page's message handler is detached, so
// what the rows show is exactly what the page showed and stored a cursor for (console events emitted while
// a page navigates away can be lost, so they are not used to count).
import { chromium } from "playwright-core";

const pageUrl = process.argv[2];
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const browser = await chromium.launch({
  executablePath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run"],
});
const seen = [];
const gaps = [];
try {
  const page = await browser.newPage();
  page.on("console", (msg) => { if (msg.text().startsWith("gap")) gaps.push(msg.text()); });
  const shown = () => page.evaluate(() => window.sluiceStream.shown);
  const waitFor = async (n, what) => {
    const deadline = Date.now() + 30000;
    while ((await shown()) < n) {
      if (Date.now() > deadline) throw new Error(`${what}: only ${await shown()} of ${n} records`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const collect = async () => {
    const ids = await page.evaluate(() => {
      const s = window.sluiceStream;
      s.socket.onmessage = null; // nothing more is shown or stored by this page
      s.socket.onclose = null;
      s.socket.close();
      return Array.from(document.querySelectorAll("#rows tr")).map((tr) => tr.dataset.requestId).reverse();
    });
    seen.push(...ids);
    await page.waitForTimeout(50);
  };

  await page.goto(pageUrl);
  await waitFor(30, "first load");
  await page.evaluate(() => window.sluiceStream.socket.close()); // a dropped connection: the page resumes
  await waitFor((await shown()) + 30, "after the dropped connection");
  await collect();
  await page.reload(); // mid-stream: the page resumes from the cursor in localStorage
  await waitFor(30, "after the first reload");
  await collect();
  await page.reload();
  await waitFor(20, "after the second reload");
  await collect();
  console.log(JSON.stringify({ seen, gaps }));
} finally {
  await browser.close();
}
