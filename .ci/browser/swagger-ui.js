// Swagger UI, as a person uses it: open /docs, authorize with the token, expand
// POST /v1/mcp-servers, "Try it out", execute, and see 201 with a body that
// holds no api_key. Fails if the page fetches anything from outside the machine.
// Usage: node swagger-ui.js BASE_URL TOKEN SCREENSHOT_PATH
const { chromium } = require("playwright-core");

const [baseUrl, token, screenshot] = process.argv.slice(2);
const apiKey = `sk-browser-${Date.now()}`;
const body = JSON.stringify(
  { name: `swagger-ui-${Date.now()}`, url: "https://mcp.atlassian.com/v1/mcp", api_key: apiKey },
  null,
  2,
);

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const page = await browser.newPage();
  const outside = [];
  // Anything not served by this server is refused and remembered.
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(baseUrl) || url.startsWith("data:")) return route.continue();
    outside.push(url);
    return route.abort();
  });

  await page.goto(`${baseUrl}/docs`, { waitUntil: "networkidle" });
  await page.getByText("Create a new MCP server").waitFor();

  if (token) {
    await page.getByRole("button", { name: /Authorize/ }).first().click();
    await page.locator(".auth-container input[type=text], .auth-container input[type=password]").first().fill(token);
    await page.locator(".auth-btn-wrapper button.authorize").click();
    await page.locator(".auth-btn-wrapper button.btn-done, .auth-btn-wrapper button.close-modal").first().click();
  }

  const operation = page.locator("#operations-MCP_Servers-create_mcp_server");
  await operation.locator(".opblock-summary").click();
  await operation.getByRole("button", { name: "Try it out" }).click();
  await operation.locator("textarea.body-param__text").fill(body);
  await operation.getByRole("button", { name: "Execute" }).click();

  const row = operation.locator(".live-responses-table .response").first();
  await row.waitFor({ timeout: 15000 });
  const status = (await row.locator(".response-col_status").innerText()).trim();
  const answer = await row.locator(".response-col_description pre").first().innerText();
  await row.scrollIntoViewIfNeeded();
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });
  await browser.close();

  const problems = [];
  if (status !== "201") problems.push(`status ${status}, expected 201: ${answer}`);
  if (answer.includes(apiKey)) problems.push("the api_key came back in the response");
  if (!answer.includes('"api_key_set": true')) problems.push(`no api_key_set in ${answer}`);
  if (outside.length) problems.push(`fetched from outside the machine: ${outside.join(", ")}`);
  if (problems.length) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  console.log("Swagger UI: authorized, executed POST /v1/mcp-servers, got 201 without the api_key; nothing fetched from outside");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
