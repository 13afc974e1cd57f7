// Chart configurations built from API data. Pure functions: the page passes them to Chart.js, and the
// browser test reads the same datasets back to compare them with the API's answers.

const BLUE = "#2f6fed";
const BAND = "rgba(47, 111, 237, 0.16)";
const GREY = "#9aa6b8";
const RED = "#d64545";
const GREEN = "#2e9d5b";
const PROMO = "#f0b429";

/** Index of the quantile key closest to q in a {"0.1": v, ...} map, as a string key. */
export function quantileKey(quantiles, q) {
  let best = null;
  for (const key of Object.keys(quantiles ?? {})) {
    if (best === null || Math.abs(Number(key) - q) < Math.abs(Number(best) - q)) best = key;
  }
  return best;
}

/**
 * Demand chart: history bars (promo days highlighted, closed days left out), stockout markers, forecast mean
 * and the P10–P90 band.
 * history: GET /v1/series/{w}/{s}/history `days` [{date, units, stockout, closed, promo}];
 * forecast: GET /v1/forecasts/{w}/{s} `forecasts[0].points` [{date, mean, quantiles}]
 */
export function demandChartConfig(history, forecast) {
  const labels = [...history.map((h) => h.date), ...forecast.map((f) => f.date)];
  const pad = (arr, before, after) => [...Array(before).fill(null), ...arr, ...Array(after).fill(null)];
  const lo = forecast.length ? quantileKey(forecast[0].quantiles, 0.1) : null;
  const hi = forecast.length ? quantileKey(forecast[0].quantiles, 0.9) : null;
  const n = history.length;
  const m = forecast.length;
  return {
    type: "bar",
    data: {
      labels,
      datasets: [
        {
          label: "Units sold",
          type: "bar",
          data: pad(
            history.map((h) => (h.closed ? null : h.units)),
            0,
            m,
          ),
          backgroundColor: history.map((h) => (h.promo ? PROMO : GREY)),
          barPercentage: 1,
          categoryPercentage: 0.9,
          order: 3,
        },
        {
          label: "Stockout day",
          type: "line",
          data: pad(
            history.map((h) => (h.stockout ? (h.units ?? 0) : null)),
            0,
            m,
          ),
          showLine: false,
          pointStyle: "triangle",
          pointRadius: 6,
          pointBackgroundColor: RED,
          borderColor: RED,
          order: 1,
        },
        {
          label: "P10",
          type: "line",
          data: pad(
            forecast.map((f) => (lo === null ? null : f.quantiles[lo])),
            n,
            0,
          ),
          borderWidth: 0,
          pointRadius: 0,
          fill: false,
          order: 2,
        },
        {
          label: "P10–P90",
          type: "line",
          data: pad(
            forecast.map((f) => (hi === null ? null : f.quantiles[hi])),
            n,
            0,
          ),
          borderWidth: 0,
          pointRadius: 0,
          backgroundColor: BAND,
          fill: "-1",
          order: 2,
        },
        {
          label: "Forecast mean",
          type: "line",
          data: pad(
            forecast.map((f) => f.mean),
            n,
            0,
          ),
          borderColor: BLUE,
          borderWidth: 2,
          pointRadius: 0,
          tension: 0.2,
          order: 0,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12, filter: (item) => item.text !== "P10" } },
      },
      scales: {
        x: { ticks: { maxTicksLimit: 12, autoSkip: true } },
        y: { beginAtZero: true, title: { display: true, text: "units / day" } },
      },
    },
  };
}

/**
 * Projected inventory position: start from the recommendation's inventory position (on hand + on order) and
 * subtract cumulative mean demand; the reorder point and order-up-to level are flat lines in the same units.
 */
export function stockChartConfig(forecast, rec) {
  const labels = forecast.map((f) => f.date);
  const start = Number(rec.inventory_position ?? 0);
  let cum = 0;
  const projected = forecast.map((f) => {
    cum += f.mean;
    return Math.max(0, start - cum);
  });
  return {
    type: "line",
    data: {
      labels,
      datasets: [
        {
          label: "Projected inventory position",
          data: projected,
          borderColor: BLUE,
          backgroundColor: BAND,
          fill: "origin",
          pointRadius: 0,
          borderWidth: 2,
        },
        {
          label: "Reorder point",
          data: labels.map(() => rec.reorder_point),
          borderColor: RED,
          borderDash: [6, 4],
          pointRadius: 0,
          borderWidth: 2,
        },
        {
          label: "Order-up-to level",
          data: labels.map(() => rec.order_up_to_level),
          borderColor: GREEN,
          borderDash: [2, 3],
          pointRadius: 0,
          borderWidth: 1.5,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      scales: {
        x: { ticks: { maxTicksLimit: 10 } },
        y: { beginAtZero: true, title: { display: true, text: "units" } },
      },
    },
  };
}
