/* 大综合一体化 site: plotly's zh-CN locale (bundled here, no CDN), charts below the first
   screen drawn after load, and charts that fit the paper when printed. Loaded after
   assets/plotly.min.js, before any chart is drawn. */
(function () {
  if (!window.Plotly) return;
  Plotly.register({
    moduleType: "locale", name: "zh-CN",
    dictionary: {
      "Autoscale": "自动缩放", "Box Select": "矩形选择", "Click to enter Colorscale title": "单击输入色阶标题",
      "Click to enter X axis title": "单击输入X轴标题", "Click to enter Y axis title": "单击输入Y轴标题",
      "Click to enter Plot title": "单击输入图表标题", "Compare data on hover": "悬停时比较数据",
      "Double-click to zoom back out": "双击返回缩放", "Download plot as a png": "下载图表为PNG格式",
      "Download plot": "下载图表", "Lasso Select": "套索选择", "Orbital rotation": "轨道旋转",
      "Pan": "平移", "Produced with Plotly.js": "由 Plotly.js 生成", "Reset": "重置",
      "Reset axes": "重置轴", "Reset view": "重置视图", "Show closest data on hover": "悬停时显示最近的数据",
      "Snapshot succeeded": "生成快照成功", "Sorry, there was a problem downloading your snapshot!": "抱歉，下载快照出现问题！",
      "Taking snapshot - this may take a few seconds": "正在生成快照 - 可能需要几秒钟",
      "Toggle Spike Lines": "切换显示数据监测线", "Zoom": "缩放", "Zoom in": "放大", "Zoom out": "缩小",
      "trace": "数据线", "new text": "新建文本", "max": "最大值", "min": "最小值", "mean": "平均值",
      "median": "中位数", "lower fence": "下界", "upper fence": "上界", "q1": "下四分位数", "q3": "上四分位数"
    },
    format: {
      days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
      shortDays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
      months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
      shortMonths: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
      date: "%Y-%m-%d", decimal: ".", thousands: ","
    }
  });
  // Charts below the first screen are drawn after the page has loaded, one per frame, the one
  // nearest the reader first: a page of ten charts (每日明细) otherwise keeps a phone blank for
  // 2 s while plotly draws what nobody sees yet. Their boxes keep their height meanwhile.
  var draw = Plotly.newPlot, later = [], loaded = false;
  function below(el) { return el.getBoundingClientRect().top > window.innerHeight; }
  Plotly.newPlot = function (gd) {
    var el = typeof gd === "string" ? document.getElementById(gd) : gd;
    if (loaded || !el || !below(el)) return draw.apply(Plotly, arguments);
    later.push({ el: el, args: arguments });
  };
  function drawOne(item) { draw.apply(Plotly, item.args); }
  function nearest() {
    var best = 0, bestGap = Infinity;
    later.forEach(function (item, i) {
      var r = item.el.getBoundingClientRect();
      var gap = r.bottom < 0 ? -r.bottom : Math.max(0, r.top - window.innerHeight);
      if (gap < bestGap) { best = i; bestGap = gap; }
    });
    return later.splice(best, 1)[0];
  }
  function drawNext() {
    if (!later.length) return;
    drawOne(nearest());
    requestAnimationFrame(function () { setTimeout(drawNext, 0); });
  }
  function drawAll() { while (later.length) drawOne(later.shift()); }
  window.addEventListener("load", function () { loaded = true; requestAnimationFrame(function () { setTimeout(drawNext, 0); }); });

  function charts() { return Array.prototype.slice.call(document.querySelectorAll(".js-plotly-plot")); }
  // Printing: draw every chart at the width of its box on the paper (a responsive chart keeps
  // its screen width otherwise, and the paper cuts it off).
  function fit() {
    drawAll();
    charts().forEach(function (gd) {
      var w = Math.floor(gd.parentElement.getBoundingClientRect().width) - 10;
      if (w > 100) Plotly.relayout(gd, { width: w });
    });
  }
  function unfit() {
    charts().forEach(function (gd) { Plotly.relayout(gd, { width: null, autosize: true }); });
  }
  window.addEventListener("beforeprint", fit);
  window.addEventListener("afterprint", unfit);
  if (window.matchMedia) {
    var mq = window.matchMedia("print");
    var onChange = function (e) { if (e.matches) fit(); else unfit(); };
    if (mq.addEventListener) mq.addEventListener("change", onChange); else if (mq.addListener) mq.addListener(onChange);
  }
})();
