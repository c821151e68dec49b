<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About CityPatrol</source>
        <translation>关于城市巡查</translation>
    </message>
    <message>
        <source>CityPatrol 城市巡查</source>
        <translation>城市巡查 CityPatrol</translation>
    </message>
    <message>
        <source>Version %1</source>
        <translation>版本 %1</translation>
    </message>
    <message>
        <source>Offline-first city field inspection.</source>
        <translation>离线优先的城市现场巡查系统。</translation>
    </message>
    <message>
        <source>Licence: proprietary; licensed to the city administration that runs it.</source>
        <translation>许可：专有软件，授权给运行它的城市管理部门使用。</translation>
    </message>
    <message>
        <source>Built with Qt %1 and PySide6, used under the GNU LGPL version 3; the Qt libraries in this installation can be replaced.</source>
        <translation>基于 Qt %1 和 PySide6 构建，按 GNU LGPL 第 3 版使用；本安装中的 Qt 库可以替换。</translation>
    </message>
    <message>
        <source>Maps: data © OpenStreetMap contributors, available under the Open Database License (ODbL); each basemap shows its own attribution.</source>
        <translation>地图：数据 © OpenStreetMap 贡献者，依据开放数据库许可协议（ODbL）提供；每张底图显示其自身的署名。</translation>
    </message>
    <message>
        <source>Chinese text: Noto Sans CJK SC, under the SIL Open Font License 1.1.</source>
        <translation>中文字体：思源黑体（Noto Sans CJK SC），依据 SIL 开放字体许可协议 1.1。</translation>
    </message>
    <message>
        <source>Also built on Python, SQLAlchemy, Alembic, Pillow, pillow-heif, keyring, platformdirs and pySerial, each under its own open-source licence.</source>
        <translation>另使用 Python、SQLAlchemy、Alembic、Pillow、pillow-heif、keyring、platformdirs 和 pySerial，各自遵循其开源许可。</translation>
    </message>
</context>
<context>
    <name>AssessmentPanel</name>
    <message>
        <source>Year-end assessment</source>
        <translation>年终考核</translation>
    </message>
    <message>
        <source>Rank</source>
        <extracomment>The year's figures were read and shown.</extracomment>
        <translation>排名</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>得分</translation>
    </message>
    <message>
        <source>Inspections</source>
        <translation>检查次数</translation>
    </message>
    <message>
        <source>How it was made</source>
        <translation>计算过程</translation>
    </message>
    <message>
        <source>Object</source>
        <translation>检查对象</translation>
    </message>
    <message>
        <source>Mean</source>
        <translation>平均得分率</translation>
    </message>
    <message>
        <source>Lowest</source>
        <translation>最低</translation>
    </message>
    <message>
        <source>Trend</source>
        <translation>趋势</translation>
    </message>
    <message>
        <source>Month %1</source>
        <translation>%1 月</translation>
    </message>
    <message>
        <source>Contractors' scores (&amp;CSV)…</source>
        <translation>保洁公司得分（CSV）(&amp;C)…</translation>
    </message>
    <message>
        <source>市场化保洁 — monthly scores and payment deductions:</source>
        <translation>市场化保洁——月度得分与扣款：</translation>
    </message>
    <message>
        <source>Year:</source>
        <translation>年度：</translation>
    </message>
    <message>
        <source>Objects inspected, ranked by mean score</source>
        <translation>检查对象（按平均得分率排名）</translation>
    </message>
    <message>
        <source>Weights: %1</source>
        <translation>权重：%1</translation>
    </message>
    <message>
        <source>Named for criticism (通报批评): %1</source>
        <translation>通报批评：%1</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Units ranked: %1 · objects inspected: %2</source>
        <translation>参与排名单位：%1 · 接受检查对象：%2</translation>
    </message>
    <message>
        <source>Contractors' monthly scores</source>
        <translation>保洁公司月度得分</translation>
    </message>
    <message>
        <source>Written: %1</source>
        <translation>已写入：%1</translation>
    </message>
    <message>
        <source>The assessment could not be computed: %1</source>
        <translation>无法计算考核结果：%1</translation>
    </message>
</context>
<context>
    <name>AssignmentsPanel</name>
    <message>
        <source>Deadlines</source>
        <translation>处置时限</translation>
    </message>
    <message>
        <source>Department</source>
        <extracomment>The user asked for a case's history (its id). After each reload: how many are overdue, and how many due soon. The list was read and shown.</extracomment>
        <translation>处置部门</translation>
    </message>
    <message>
        <source>All departments</source>
        <translation>全部部门</translation>
    </message>
    <message>
        <source>Overdue and due soon</source>
        <translation>超期和即将到期</translation>
    </message>
    <message>
        <source>All open assignments</source>
        <translation>全部在办案件</translation>
    </message>
    <message>
        <source>Department:</source>
        <translation>处置部门：</translation>
    </message>
    <message>
        <source>Case</source>
        <translation>案件</translation>
    </message>
    <message>
        <source>Deadline</source>
        <translation>时限</translation>
    </message>
    <message>
        <source>Time used</source>
        <translation>已用时限</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>No dispatched case is overdue or due soon.</source>
        <translation>没有超期或即将到期的派遣案件。</translation>
    </message>
    <message>
        <source>Green: under 80 % of the time limit used · yellow: 80–100 % · red: overdue. Double-click a case for its history.</source>
        <translation>绿灯：已用时限不足 80 % · 黄灯：80–100 % · 红灯：已超期。双击案件查看详情。</translation>
    </message>
    <message>
        <source>Overdue: %1   ·   due soon: %2   ·   open: %3</source>
        <translation>超期：%1   ·   即将到期：%2   ·   在办：%3</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>已超期</translation>
    </message>
    <message>
        <source>Due soon</source>
        <translation>即将到期</translation>
    </message>
    <message>
        <source>On schedule</source>
        <translation>按期进行中</translation>
    </message>
    <message>
        <source>No open assignment for this department.</source>
        <translation>该部门没有在办案件。</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>The deadlines could not be read: %1</source>
        <translation>无法读取处置时限：%1</translation>
    </message>
</context>
<context>
    <name>BasemapSettings</name>
    <message>
        <source>Basemaps</source>
        <extracomment>The list changed (the map tab lists the basemaps again).</extracomment>
        <translation>底图</translation>
    </message>
    <message>
        <source>GCJ-02 (AMap, Tencent)</source>
        <translation>GCJ-02（高德、腾讯）</translation>
    </message>
    <message>
        <source>WGS84 / CGCS2000: GPS, 天地图 and government GIS basemaps. GCJ-02: AMap and Tencent basemaps (drawn shifted; positions stay WGS84).</source>
        <translation>WGS84 / CGCS2000：GPS、天地图及政务 GIS 底图。GCJ-02：高德、腾讯底图（绘制时偏移，位置仍按 WGS84 保存）。</translation>
    </message>
    <message>
        <source>Add MBTiles file…</source>
        <translation>添加 MBTiles 文件…</translation>
    </message>
    <message>
        <source>Add layer…</source>
        <translation>添加图层…</translation>
    </message>
    <message>
        <source>A GeoJSON file or a GeoPackage, in WGS84</source>
        <translation>WGS84 坐标的 GeoJSON 文件或 GeoPackage</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Datum of a new file:</source>
        <translation>新文件的坐标系：</translation>
    </message>
    <message>
        <source>Layer: %1</source>
        <translation>图层：%1</translation>
    </message>
    <message>
        <source>Add a basemap</source>
        <translation>添加底图</translation>
    </message>
    <message>
        <source>MBTiles basemaps (*.mbtiles)</source>
        <translation>MBTiles 底图 (*.mbtiles)</translation>
    </message>
    <message>
        <source>Add a layer</source>
        <translation>添加图层</translation>
    </message>
    <message>
        <source>GeoPackage or GeoJSON (*.gpkg *.geojson *.json)</source>
        <translation>GeoPackage 或 GeoJSON (*.gpkg *.geojson *.json)</translation>
    </message>
    <message>
        <source>Checking %1…</source>
        <translation>正在检查 %1…</translation>
    </message>
    <message numerus="yes">
        <source>Added %n layer(s).</source>
        <translation>
            <numerusform>已添加 %n 个图层。</numerusform>
        </translation>
    </message>
    <message>
        <source>Added “%1”.</source>
        <translation>已添加“%1”。</translation>
    </message>
</context>
<context>
    <name>BulletinDialog</name>
    <message>
        <source>Periodic bulletin</source>
        <extracomment>The PDF was written; its path.</extracomment>
        <translation>定期通报</translation>
    </message>
    <message>
        <source>Period: %1 to %2 (end not included)</source>
        <translation>时段：%1 至 %2（不含结束日）</translation>
    </message>
    <message>
        <source>Chinese</source>
        <translation>中文</translation>
    </message>
    <message>
        <source>English</source>
        <translation>英文</translation>
    </message>
    <message>
        <source>Bulletin PDF</source>
        <translation>通报 PDF</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <source>&amp;Save to:</source>
        <translation>保存到(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;Write PDF</source>
        <translation>生成 PDF(&amp;W)</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Choose the file to write.</source>
        <translation>请选择要写入的文件。</translation>
    </message>
    <message>
        <source>Computing the indicators and writing the PDF…</source>
        <translation>正在计算指标并生成 PDF…</translation>
    </message>
    <message>
        <source>Written: %1</source>
        <translation>已生成：%1</translation>
    </message>
</context>
<context>
    <name>CaseDetailDialog</name>
    <message>
        <source>Case history</source>
        <extracomment>The department's request waiting for an answer (issue 15). The 门前三包 unit whose frontage holds the case's position (its name), if any. A decision was recorded from this dialog (the store's :class:`Changes`, already announced on the store's events). The case was (re)read and shown. The case's PDF report was written; its path.</extracomment>
        <translation>案件详情</translation>
    </message>
    <message>
        <source>Loading the case…</source>
        <translation>正在读取案件…</translation>
    </message>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>By</source>
        <translation>操作人</translation>
    </message>
    <message>
        <source>Opinion</source>
        <translation>意见</translation>
    </message>
    <message>
        <source>Department / inspector</source>
        <translation>部门 / 监督员</translation>
    </message>
    <message>
        <source>Deadline</source>
        <translation>时限</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>History</source>
        <translation>流转记录</translation>
    </message>
    <message>
        <source>No photos as reported.</source>
        <translation>上报时没有照片。</translation>
    </message>
    <message>
        <source>Photos before</source>
        <translation>处置前照片</translation>
    </message>
    <message>
        <source>No photos after the work yet.</source>
        <translation>还没有处置后的照片。</translation>
    </message>
    <message>
        <source>Photos after</source>
        <translation>处置后照片</translation>
    </message>
    <message>
        <source>Before</source>
        <translation>处置前</translation>
    </message>
    <message>
        <source>After</source>
        <translation>处置后</translation>
    </message>
    <message>
        <source>Comments</source>
        <translation>评论</translation>
    </message>
    <message>
        <source>Actions now:</source>
        <translation>可执行的操作：</translation>
    </message>
    <message>
        <source>No action for the supervisor in this state.</source>
        <translation>当前状态下值班长无可执行的操作。</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>&amp;PDF report…</source>
        <translation>PDF 报告(&amp;P)…</translation>
    </message>
    <message>
        <source>The case, its whole history and its photos as a PDF</source>
        <translation>案件、全部流转记录和照片生成 PDF</translation>
    </message>
    <message>
        <source>PDF report of the case</source>
        <translation>案件 PDF 报告</translation>
    </message>
    <message>
        <source>PDF written: %1</source>
        <translation>PDF 已生成：%1</translation>
    </message>
    <message>
        <source>No category</source>
        <translation>未分类</translation>
    </message>
    <message>
        <source>Case history — %1</source>
        <translation>案件详情 —— %1</translation>
    </message>
    <message>
        <source>(no description)</source>
        <translation>（无描述）</translation>
    </message>
    <message>
        <source>(±%1 m)</source>
        <translation>（±%1 米）</translation>
    </message>
    <message>
        <source>Grid cell %1</source>
        <translation>单元网格 %1</translation>
    </message>
    <message>
        <source>门前三包 unit: %1</source>
        <translation>门前三包责任单位：%1</translation>
    </message>
    <message>
        <source>Reported by %1</source>
        <translation>上报人：%1</translation>
    </message>
    <message>
        <source>Submitted %1</source>
        <translation>上报于 %1</translation>
    </message>
    <message>
        <source>Before (%1)</source>
        <translation>处置前（%1）</translation>
    </message>
    <message>
        <source>After (%1)</source>
        <translation>处置后（%1）</translation>
    </message>
    <message>
        <source>No deadline: the case has not been dispatched.</source>
        <translation>无处置时限：案件尚未派遣。</translation>
    </message>
    <message>
        <source>Deadline %1</source>
        <translation>时限 %1</translation>
    </message>
    <message>
        <source>handled after %1 % of the time limit</source>
        <translation>处置时已用时限 %1 %</translation>
    </message>
    <message>
        <source>time used %1 %</source>
        <translation>已用时限 %1 %</translation>
    </message>
    <message>
        <source>overdue</source>
        <translation>已超期</translation>
    </message>
    <message>
        <source>You</source>
        <translation>本人</translation>
    </message>
    <message>
        <source>Re-inspection: %1</source>
        <translation>核查：%1</translation>
    </message>
    <message>
        <source>Refused by the server: %1</source>
        <translation>服务器拒绝：%1</translation>
    </message>
    <message>
        <source>Confirmed</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>Waiting to be sent</source>
        <translation>待上传</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>正在上传…</translation>
    </message>
    <message>
        <source>Refused: %1</source>
        <translation>被拒绝：%1</translation>
    </message>
    <message>
        <source>Refused</source>
        <translation>被拒绝</translation>
    </message>
    <message>
        <source>The case could not be read</source>
        <translation>无法读取案件</translation>
    </message>
</context>
<context>
    <name>CaseEditor</name>
    <message>
        <source>Case</source>
        <extracomment>The case was written (fields, position or photos); the case id. The case was submitted; the case id. The editor was closed (after its last save was queued). The user asked to open another case (a possible duplicate); its id. The fields last handed to the store (None: unknown, save at the next chance).</extracomment>
        <translation>案件</translation>
    </message>
    <message>
        <source>&amp;Submit</source>
        <translation>上报(&amp;S)</translation>
    </message>
    <message>
        <source>Check the case and submit it (Ctrl+Enter)</source>
        <translation>检查并上报案件（Ctrl+Enter）</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Close; the draft is kept (Ctrl+W)</source>
        <translation>关闭；草稿会保留（Ctrl+W）</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>问题类别</translation>
    </message>
    <message>
        <source>What is the problem, how big, since when? (e.g. garbage pile about 2 m³)</source>
        <extracomment>Fields whose errors the position panel shows.</extracomment>
        <translation>是什么问题、规模多大、从何时起？（例如：垃圾堆积约 2 立方米）</translation>
    </message>
    <message>
        <source>Normal</source>
        <translation>一般</translation>
    </message>
    <message>
        <source>Urgent</source>
        <translation>紧急</translation>
    </message>
    <message>
        <source>Emergency</source>
        <translation>特急</translation>
    </message>
    <message>
        <source>Street, number, landmark</source>
        <translation>街道、门牌号、标志物</translation>
    </message>
    <message>
        <source>15 digits, optional</source>
        <translation>15 位数字，可不填</translation>
    </message>
    <message>
        <source>The grid cell (单元网格) of the problem: district, street, community, cell</source>
        <translation>问题所在的单元网格：区、街道、社区、网格</translation>
    </message>
    <message>
        <source>Chosen category</source>
        <translation>已选类别</translation>
    </message>
    <message>
        <source>&amp;Description</source>
        <translation>问题描述(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Urgency</source>
        <translation>紧急程度(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Address</source>
        <translation>地址(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Grid cell</source>
        <translation>单元网格(&amp;G)</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>案件信息</translation>
    </message>
    <message>
        <source>Open cases of this category nearby. Double-click one to open it.</source>
        <extracomment>The user asked to open a listed case (its id).</extracomment>
        <translation>附近同类别未结案件。双击可打开。</translation>
    </message>
    <message>
        <source>Possibly already reported</source>
        <translation>可能已有人上报</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>All changes saved</source>
        <translation>所有修改已保存</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message numerus="yes">
        <source>%n field(s) need attention before the case can be submitted.</source>
        <translation>
            <numerusform>有 %n 项需要修改后才能上报。</numerusform>
        </translation>
    </message>
    <message>
        <source>Submitting…</source>
        <translation>正在上报…</translation>
    </message>
    <message>
        <source>Returned for correction. Make the changes, then submit again.</source>
        <translation>案件已被退回修改。请修改后重新上报。</translation>
    </message>
    <message>
        <source>Supervisor’s opinion: %1</source>
        <translation>值班长意见：%1</translation>
    </message>
    <message>
        <source>The description is limited to %1 characters.</source>
        <translation>问题描述最多 %1 字。</translation>
    </message>
    <message>
        <source>Editing…</source>
        <translation>正在编辑…</translation>
    </message>
    <message>
        <source>Not saved: correct the marked fields</source>
        <translation>未保存：请修改标出的项</translation>
    </message>
    <message>
        <source>Not saved — trying again</source>
        <translation>未保存——稍后重试</translation>
    </message>
    <message>
        <source>Could not save the draft: %1
What you typed stays here and is saved again shortly.</source>
        <translation>草稿保存失败：%1
已输入的内容仍在此处，稍后会再次保存。</translation>
    </message>
    <message>
        <source>The position entered by hand was kept. To change it, enter the new one by hand.</source>
        <translation>已保留手工输入的位置。如需更改，请手工输入新位置。</translation>
    </message>
    <message>
        <source>The case keeps its position, which is more accurate.</source>
        <translation>案件保留原位置，因为它更精确。</translation>
    </message>
    <message>
        <source>Suggested from the road layer: %1</source>
        <translation>按道路图层建议：%1</translation>
    </message>
    <message>
        <source>Click to use this address</source>
        <translation>点击使用此地址</translation>
    </message>
    <message>
        <source>%1 m away</source>
        <translation>相距 %1 米</translation>
    </message>
    <message numerus="yes">
        <source>Possibly already reported: %n case(s) within %1 m</source>
        <translation>
            <numerusform>可能已有人上报：%1 米内有 %n 件案件</numerusform>
        </translation>
    </message>
    <message>
        <source>Submitted. It is sent to the server at the next sync.</source>
        <translation>已上报。将在下次同步时发送到服务器。</translation>
    </message>
    <message>
        <source>Not submitted</source>
        <translation>未上报</translation>
    </message>
    <message>
        <source>Could not submit: %1</source>
        <translation>上报失败：%1</translation>
    </message>
    <message>
        <source>Status: %1. This case is no longer in your hands and cannot be edited.</source>
        <translation>状态：%1。此案件已不由您处理，不能修改。</translation>
    </message>
    <message>
        <source>New case</source>
        <translation>新建案件</translation>
    </message>
    <message>
        <source>Case %1</source>
        <translation>案件 %1</translation>
    </message>
    <message>
        <source>Observed %1</source>
        <translation>发现时间 %1</translation>
    </message>
    <message>
        <source>None yet: choose one from the list on the left</source>
        <extracomment>Which label shows the errors of which field of :class:`CaseFields`.</extracomment>
        <translation>尚未选择：请在左侧列表中选择</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Draft saved %1</source>
        <translation>草稿已保存 %1</translation>
    </message>
    <message>
        <source>Typed in: %1</source>
        <extracomment>The address the road layer proposes ("建设路, 近贵溪大道"), if any. The responsible inspectors (定人), by name, of the position's cell and the typed one.</extracomment>
        <translation>手工填写：%1</translation>
    </message>
    <message>
        <source>Typed in (not a cell of the grid on this computer)</source>
        <translation>手工填写（本机网格数据中没有该网格）</translation>
    </message>
    <message>
        <source>The position is in cell %1 (%2)</source>
        <translation>位置所在网格为 %1（%2）</translation>
    </message>
    <message>
        <source>From the position: %1</source>
        <translation>由位置自动确定：%1</translation>
    </message>
    <message>
        <source>Filled in from the position once it is known</source>
        <translation>确定位置后自动填写</translation>
    </message>
    <message>
        <source>The position is outside every grid cell</source>
        <translation>位置不在任何网格内</translation>
    </message>
    <message>
        <source>No grid on this computer yet: it comes with the next sync</source>
        <translation>本机尚无网格数据，下次同步时获取</translation>
    </message>
    <message>
        <source>Responsible inspectors: %1</source>
        <translation>责任监督员：%1</translation>
    </message>
    <message>
        <source>门前三包 unit: %1</source>
        <translation>门前三包责任单位：%1</translation>
    </message>
    <message>
        <source> (letter %1)</source>
        <translation>（责任书 %1）</translation>
    </message>
</context>
<context>
    <name>CaseTableModel</name>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>问题描述</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>Photos</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>Delivery</source>
        <translation>上传状态</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>待上传</translation>
    </message>
    <message>
        <source>Sending</source>
        <translation>上传中</translation>
    </message>
    <message>
        <source>Confirmed</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Conflict</source>
        <translation>冲突</translation>
    </message>
</context>
<context>
    <name>CategoryPicker</name>
    <message>
        <source>Search code or name…</source>
        <extracomment>Lower-case text an item matches against (code, both names, both major-class names). The user chose a matter code (click, Enter, or Enter in the search box).</extracomment>
        <translation>搜索代码或名称…</translation>
    </message>
    <message>
        <source>Type a code (06010) or part of a name, in Chinese or English.</source>
        <translation>输入代码（如 06010）或名称的一部分，中英文均可。</translation>
    </message>
    <message>
        <source>Categories</source>
        <translation>问题类别</translation>
    </message>
    <message>
        <source>Most used</source>
        <translation>最常用</translation>
    </message>
    <message>
        <source>The categories of your own cases, most used first</source>
        <translation>您上报案件所用的类别，按使用次数排列</translation>
    </message>
    <message numerus="yes">
        <source>%n case(s) of yours</source>
        <translation>
            <numerusform>您有 %n 件案件</numerusform>
        </translation>
    </message>
    <message>
        <source>No category matches “%1”.</source>
        <translation>没有与“%1”匹配的类别。</translation>
    </message>
</context>
<context>
    <name>ChecklistsPanel</name>
    <message>
        <source>Checklist templates</source>
        <translation>检查表模板</translation>
    </message>
    <message>
        <source>Name</source>
        <extracomment>The templates were read and listed (how many). The editor opened last (tests, the screenshot tool).</extracomment>
        <translation>名称</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>Object kind</source>
        <translation>检查对象类型</translation>
    </message>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>检查项</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>总分</translation>
    </message>
    <message>
        <source>&amp;New…</source>
        <translation>新建(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Edit…</source>
        <translation>编辑(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Import file…</source>
        <translation>导入文件(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Save to file…</source>
        <translation>保存到文件(&amp;S)…</translation>
    </message>
    <message>
        <source>The latest version of each template on this laptop. Editing makes the next version; inspections already begun keep the version they began with.</source>
        <translation>本机上每个模板的最新版本。编辑后发布为下一版；已开始的检查仍按开始时的版本计分。</translation>
    </message>
    <message numerus="yes">
        <source>%n template(s)</source>
        <translation>
            <numerusform>%n 个模板</numerusform>
        </translation>
    </message>
    <message>
        <source>Import checklist</source>
        <translation>导入检查表</translation>
    </message>
    <message>
        <source>Checklists (*.json *.yaml *.yml)</source>
        <translation>检查表 (*.json *.yaml *.yml)</translation>
    </message>
    <message>
        <source>This file does not hold a checklist (a JSON or YAML object).</source>
        <translation>该文件不是检查表（应为 JSON 或 YAML 对象）。</translation>
    </message>
</context>
<context>
    <name>CoveragePanel</name>
    <message>
        <source>Patrol coverage</source>
        <translation>巡查覆盖</translation>
    </message>
    <message>
        <source>First day</source>
        <translation>起始日</translation>
    </message>
    <message>
        <source>Last day</source>
        <translation>截止日</translation>
    </message>
    <message>
        <source> days</source>
        <translation> 天</translation>
    </message>
    <message>
        <source>A responsible cell nobody visited for this many days is a blind spot</source>
        <translation>责任网格连续这么多天无人巡查即为盲区</translation>
    </message>
    <message>
        <source>From:</source>
        <translation>从：</translation>
    </message>
    <message>
        <source>To:</source>
        <translation>至：</translation>
    </message>
    <message>
        <source>Blind spot after:</source>
        <translation>盲区判定：</translation>
    </message>
    <message>
        <source>Inspector</source>
        <translation>监督员</translation>
    </message>
    <message>
        <source>Patrol distance (km)</source>
        <translation>巡查里程（公里）</translation>
    </message>
    <message>
        <source>Time on patrol (h)</source>
        <translation>在岗时长（小时）</translation>
    </message>
    <message>
        <source>Tracks</source>
        <translation>轨迹</translation>
    </message>
    <message>
        <source>Cells visited</source>
        <translation>到访网格</translation>
    </message>
    <message>
        <source>Blind spots</source>
        <translation>盲区</translation>
    </message>
    <message>
        <source>Rounds due</source>
        <translation>重点部位应检</translation>
    </message>
    <message>
        <source>Rounds done</source>
        <translation>已检</translation>
    </message>
    <message>
        <source>Rounds missed</source>
        <translation>漏检</translation>
    </message>
    <message>
        <source>Blind spot (cell)</source>
        <translation>盲区（网格）</translation>
    </message>
    <message>
        <source>Last visit</source>
        <translation>最近到访</translation>
    </message>
    <message>
        <source>Blind spots by inspector</source>
        <translation>各监督员的盲区</translation>
    </message>
    <message>
        <source>The last day is before the first day</source>
        <translation>截止日早于起始日</translation>
    </message>
    <message>
        <source>never visited</source>
        <translation>从未到访</translation>
    </message>
    <message numerus="yes">
        <source>%n inspector(s), %1 km patrolled; no grid cells yet</source>
        <translation>
            <numerusform>%n 名监督员，巡查 %1 公里；尚无单元网格</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n inspector(s), %1 km patrolled; %2 of the cells visited, %3 not</source>
        <translation>
            <numerusform>%n 名监督员，巡查 %1 公里；网格覆盖 %2，未到访 %3 个</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DashboardWidget</name>
    <message>
        <source>Performance dashboard</source>
        <extracomment>The user asked for the bulletin (定期通报) PDF of the shown period (a :class:`Period`). The user asked to export the data. After each successful refresh, with the :class:`DashboardData` shown. A write changed the workflow while the figures were not on screen.</extracomment>
        <translation>考核看板</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>统计周期</translation>
    </message>
    <message>
        <source>This week</source>
        <translation>本周</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>本月</translation>
    </message>
    <message>
        <source>This quarter</source>
        <translation>本季度</translation>
    </message>
    <message>
        <source>Last quarter</source>
        <translation>上季度</translation>
    </message>
    <message>
        <source>Custom range</source>
        <translation>自定义范围</translation>
    </message>
    <message>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <source>to</source>
        <translation>至</translation>
    </message>
    <message>
        <source>First day</source>
        <translation>起始日期</translation>
    </message>
    <message>
        <source>Last day</source>
        <translation>截止日期</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>Compute the indicators again</source>
        <translation>重新计算指标</translation>
    </message>
    <message>
        <source>E&amp;xport…</source>
        <translation>导出(&amp;X)…</translation>
    </message>
    <message>
        <source>Export the data to a file</source>
        <translation>将数据导出到文件</translation>
    </message>
    <message>
        <source>&amp;Bulletin PDF…</source>
        <translation>通报 PDF(&amp;B)…</translation>
    </message>
    <message>
        <source>Write the periodic bulletin of the chosen period as a PDF</source>
        <translation>将所选周期的定期通报生成为 PDF</translation>
    </message>
    <message>
        <source>Received</source>
        <translation>上报数</translation>
    </message>
    <message>
        <source>Cases first submitted in the period</source>
        <translation>本周期内首次上报的案件</translation>
    </message>
    <message>
        <source>Accepted</source>
        <translation>受理数</translation>
    </message>
    <message>
        <source>Reports accepted in the period</source>
        <translation>本周期内受理的上报</translation>
    </message>
    <message>
        <source>Registered</source>
        <translation>立案数</translation>
    </message>
    <message>
        <source>Cases registered in the period</source>
        <translation>本周期内立案的案件</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>结案数</translation>
    </message>
    <message>
        <source>Cases closed in the period</source>
        <translation>本周期内结案的案件</translation>
    </message>
    <message>
        <source>Closure rate</source>
        <translation>结案率</translation>
    </message>
    <message>
        <source>Of the cases registered in the period, the share closed</source>
        <translation>本周期内立案的案件中已结案的比例</translation>
    </message>
    <message>
        <source>On-time rate</source>
        <translation>按期处置率</translation>
    </message>
    <message>
        <source>Of the assignments due in the period, the share handled on time</source>
        <translation>本周期内应处置的任务中按期处置的比例</translation>
    </message>
    <message>
        <source>Rework rate</source>
        <translation>返工率</translation>
    </message>
    <message>
        <source>Reworks per handled assignment in the period</source>
        <translation>本周期内返工数与处置数之比</translation>
    </message>
    <message>
        <source>Valid-report rate</source>
        <translation>有效上报率</translation>
    </message>
    <message>
        <source>Accepted of the reports accepted or rejected in the period</source>
        <translation>本周期内受理数占受理与不予受理之和的比例</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>超期未处置</translation>
    </message>
    <message>
        <source>Assignments past their deadline and not yet handled</source>
        <translation>已过处置时限仍未处置的任务</translation>
    </message>
    <message>
        <source>Mean handling time</source>
        <translation>平均处置时长</translation>
    </message>
    <message>
        <source>From dispatch to handling, less the time suspended</source>
        <translation>从派遣到处置的时长，扣除挂起时间</translation>
    </message>
    <message>
        <source>Missed key-site rounds</source>
        <translation>重点部位漏检</translation>
    </message>
    <message>
        <source>Key-site rounds (重点部位) past their due time with no check, of the rounds due in the period</source>
        <translation>本期应检的重点部位巡查中，过了时限仍未检查的次数</translation>
    </message>
    <message>
        <source>Weekly trend</source>
        <translation>每周趋势</translation>
    </message>
    <message>
        <source>On-time rate by department</source>
        <translation>各部门按期处置率</translation>
    </message>
    <message>
        <source>Top %1 categories by reports</source>
        <translation>上报数前 %1 的问题类别</translation>
    </message>
    <message>
        <source>Departments</source>
        <translation>部门考核明细</translation>
    </message>
    <message>
        <source>Week starting</source>
        <translation>周起始日</translation>
    </message>
    <message>
        <source>Handled on time</source>
        <translation>按期处置数</translation>
    </message>
    <message>
        <source>Computing…</source>
        <translation>正在计算…</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <source>%1 to %2, as of %3</source>
        <translation>%1 至 %2，截至 %3</translation>
    </message>
    <message>
        <source>The indicators could not be computed: %1</source>
        <translation>无法计算指标：%1</translation>
    </message>
    <message>
        <source>%1 h</source>
        <translation>%1 小时</translation>
    </message>
    <message>
        <source>Not dispatched</source>
        <translation>未派遣</translation>
    </message>
</context>
<context>
    <name>DecisionDialog</name>
    <message>
        <source>%1 — decision</source>
        <extracomment>What the action needs filled in (the shared rules' data): the fields shown.</extracomment>
        <translation>%1 —— 处理</translation>
    </message>
    <message>
        <source>Loading the case…</source>
        <translation>正在读取案件…</translation>
    </message>
    <message>
        <source>Choose the responsible department</source>
        <translation>选择处置部门</translation>
    </message>
    <message>
        <source>Choose a deadline</source>
        <translation>选择处置时限</translation>
    </message>
    <message>
        <source>Choose the inspector</source>
        <translation>选择监督员</translation>
    </message>
    <message>
        <source>&amp;Department:</source>
        <translation>处置部门(&amp;D)：</translation>
    </message>
    <message>
        <source>Department:</source>
        <translation>处置部门：</translation>
    </message>
    <message>
        <source>D&amp;eadline:</source>
        <translation>处置时限(&amp;E)：</translation>
    </message>
    <message>
        <source>Re-&amp;inspection by:</source>
        <translation>核查监督员(&amp;I)：</translation>
    </message>
    <message>
        <source>&amp;Opinion (required):</source>
        <translation>意见(&amp;O)（必填）：</translation>
    </message>
    <message>
        <source>&amp;Opinion (optional):</source>
        <translation>意见(&amp;O)（选填）：</translation>
    </message>
    <message>
        <source>Why the report is not accepted</source>
        <translation>不予受理的原因</translation>
    </message>
    <message>
        <source>What the inspector must correct</source>
        <translation>需要监督员修改的内容</translation>
    </message>
    <message>
        <source>Why the case is void</source>
        <translation>作废的原因</translation>
    </message>
    <message>
        <source>Why the department needs more time</source>
        <translation>部门需要延期的原因</translation>
    </message>
    <message>
        <source>Why the case is suspended (挂账)</source>
        <translation>挂账的原因</translation>
    </message>
    <message>
        <source>What the department did, as it reported</source>
        <translation>部门反馈的处置情况</translation>
    </message>
    <message>
        <source>What is still wrong, for the department to rework</source>
        <translation>仍存在的问题，供部门返工</translation>
    </message>
    <message>
        <source>Why the case is not the department's</source>
        <translation>为何该案件不属于本部门</translation>
    </message>
    <message>
        <source>Why the case cannot be handled for now</source>
        <translation>为何该案件暂时无法处置</translation>
    </message>
    <message>
        <source>Why the request is refused</source>
        <translation>驳回申请的理由</translation>
    </message>
    <message>
        <source>A note for the case's history</source>
        <translation>写入案件流转记录的备注</translation>
    </message>
    <message>
        <source>No category</source>
        <translation>未分类</translation>
    </message>
    <message>
        <source>%1 (the same department reworks the case)</source>
        <translation>%1（由原处置部门返工）</translation>
    </message>
    <message>
        <source>Proposed by the responsibilities (定人定责): grid cell %1 is this department's for every category. You may change it.</source>
        <translation>按定人定责建议：网格 %1 的各类问题由该部门负责。可以更改。</translation>
    </message>
    <message>
        <source>Proposed by the responsibilities (定人定责): in grid cell %1, category class %2 is this department's. You may change it.</source>
        <translation>按定人定责建议：网格 %1 内第 %2 大类问题由该部门负责。可以更改。</translation>
    </message>
    <message>
        <source>Proposed from the time-limit rules and the working calendar: %1. You may change it.</source>
        <translation>根据处置时限规则和工作日历建议：%1。可以修改。</translation>
    </message>
    <message>
        <source>No time-limit rule applies to this case: choose the deadline.</source>
        <translation>没有适用于此案件的时限规则，请选择处置时限。</translation>
    </message>
    <message>
        <source>Current deadline: %1</source>
        <translation>当前时限：%1</translation>
    </message>
    <message>
        <source>The case could not be read</source>
        <translation>无法读取案件</translation>
    </message>
    <message>
        <source>The deadline must be in the future.</source>
        <translation>处置时限必须晚于当前时间。</translation>
    </message>
    <message>
        <source>Saving…</source>
        <extracomment>Actions whose deadline is proposed from the time-limit rules and the working calendar (they start an assignment; an extension moves the current one's deadline instead). The time a deadline gets when only its day is picked (the end of the working day). Which field (and error label) a missing need is shown at. The department 定人定责 names for the case's cell and category class (dispatch). The decision was recorded (the store's :class:`Changes`, already announced on the store's events); then the dialog closes. The case and the choices were read (the fields are filled).</extracomment>
        <translation>正在保存…</translation>
    </message>
</context>
<context>
    <name>DepartmentTableModel</name>
    <message>
        <source>Department</source>
        <extracomment>The city's time zone: weeks, months and quarters start at its midnight. The trend shows at least this many weeks, ending with the chosen period. The trend's axis names at most this many weeks. How many categories the category chart shows. Colours of the trend's series and of the two bar charts. Changing a date of the custom range waits this long for the next change before loading. The raw value a table column sorts by. Department id → name in the interface language (``None``: cases not dispatched). Key-site rounds (重点部位) of the period as of "now", every inspector's: due, done, missed. The departments' part of the loop (issue 15): sign-for, handled by them, requests. Reads the dashboard's data for a period at a time ("now"); runs in the database lane.</extracomment>
        <translation>部门</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>应处置数</translation>
    </message>
    <message>
        <source>On time</source>
        <translation>按期处置数</translation>
    </message>
    <message>
        <source>On-time rate</source>
        <translation>按期处置率</translation>
    </message>
    <message>
        <source>Handled</source>
        <translation>处置数</translation>
    </message>
    <message>
        <source>Reworked</source>
        <translation>返工数</translation>
    </message>
    <message>
        <source>Rework rate</source>
        <translation>返工率</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>结案数</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>超期未处置</translation>
    </message>
</context>
<context>
    <name>ErrorText</name>
    <message>
        <source>Unexpected error: %1</source>
        <extracomment>What a figure without a value (a rate with no denominator) shows.</extracomment>
        <translation>意外错误：%1</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Export cases</source>
        <extracomment>The export finished; the :class:`ExportResult`.</extracomment>
        <translation>导出案件</translation>
    </message>
    <message>
        <source>CSV table (Excel, UTF-8)</source>
        <translation>CSV 表格（Excel，UTF-8）</translation>
    </message>
    <message>
        <source>GeoJSON (web maps, QGIS)</source>
        <translation>GeoJSON（网页地图、QGIS）</translation>
    </message>
    <message>
        <source>GeoPackage (QGIS, ArcGIS)</source>
        <translation>GeoPackage（QGIS、ArcGIS）</translation>
    </message>
    <message>
        <source>Chinese</source>
        <translation>中文</translation>
    </message>
    <message>
        <source>English</source>
        <translation>英文</translation>
    </message>
    <message>
        <source>Export to</source>
        <translation>导出到</translation>
    </message>
    <message>
        <source>&amp;Format:</source>
        <translation>格式(&amp;F)：</translation>
    </message>
    <message>
        <source>&amp;Names in:</source>
        <translation>名称语言(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Save to:</source>
        <translation>保存到(&amp;S)：</translation>
    </message>
    <message>
        <source>%v of %m cases</source>
        <translation>%v / %m 件</translation>
    </message>
    <message>
        <source>&amp;Export</source>
        <translation>导出(&amp;E)</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Choose the file to export to.</source>
        <translation>请选择导出文件。</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n case(s) to %1 (%2 MB).</source>
        <translation>
            <numerusform>已导出 %n 件案件到 %1（%2 MB）。</numerusform>
        </translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
</context>
<context>
    <name>HandledDialog</name>
    <message>
        <source>Saving…</source>
        <extracomment>The report was recorded (the store's Changes); then the dialog closes.</extracomment>
        <translation>正在保存…</translation>
    </message>
    <message>
        <source>Report as handled</source>
        <extracomment>How many photos the report needs (the server's setting, read with the case).</extracomment>
        <translation>处置反馈</translation>
    </message>
    <message>
        <source>Loading the case…</source>
        <translation>正在读取案件…</translation>
    </message>
    <message>
        <source>After — photos of the work done</source>
        <translation>处置后 — 处置结果照片</translation>
    </message>
    <message>
        <source>Add the photos that show the problem fixed.</source>
        <translation>请添加显示问题已解决的照片。</translation>
    </message>
    <message>
        <source>After photos</source>
        <translation>处置后照片</translation>
    </message>
    <message>
        <source>&amp;Add photos…</source>
        <translation>添加照片(&amp;A)…</translation>
    </message>
    <message>
        <source>Re&amp;move</source>
        <translation>移除(&amp;M)</translation>
    </message>
    <message numerus="yes">
        <source>At least %n photo(s) required.</source>
        <translation>
            <numerusform>至少需要 %n 张照片。</numerusform>
        </translation>
    </message>
    <message>
        <source>Photos are optional.</source>
        <translation>照片可选。</translation>
    </message>
    <message>
        <source>What the department did</source>
        <translation>本部门采取的处置措施</translation>
    </message>
    <message>
        <source>&amp;Opinion (required):</source>
        <translation>处置意见（必填）(&amp;O)：</translation>
    </message>
    <message>
        <source>&amp;Report handled</source>
        <translation>提交处置反馈(&amp;R)</translation>
    </message>
    <message>
        <source>No category</source>
        <translation>无类别</translation>
    </message>
    <message>
        <source>Add “after” photos</source>
        <translation>添加处置后照片</translation>
    </message>
    <message>
        <source>Photos (%1);;All files (*)</source>
        <translation>照片 (%1);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>HandlerPanel</name>
    <message>
        <source>Department tasks</source>
        <extracomment>The request buttons: the action each asks with. The user asked for a case's history (its id). After each reload: how many tasks are open, and how many still to sign for. The list was read and shown. A step was recorded here (the store's Changes). The open request or report dialog (None when none is open).</extracomment>
        <translation>部门任务</translation>
    </message>
    <message>
        <source>Case</source>
        <translation>案件</translation>
    </message>
    <message>
        <source>Deadline</source>
        <translation>处置时限</translation>
    </message>
    <message>
        <source>Time used</source>
        <translation>已用时限</translation>
    </message>
    <message>
        <source>Signed for</source>
        <translation>签收</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>申请</translation>
    </message>
    <message>
        <source>No open task for your department.</source>
        <translation>本部门暂无待处置任务。</translation>
    </message>
    <message>
        <source>&amp;Sign for</source>
        <translation>签收(&amp;S)</translation>
    </message>
    <message>
        <source>Report &amp;handled…</source>
        <translation>处置反馈(&amp;H)…</translation>
    </message>
    <message>
        <source>Ask for an &amp;extension…</source>
        <translation>延期申请(&amp;E)…</translation>
    </message>
    <message>
        <source>Ask to re&amp;turn…</source>
        <translation>退回申请(&amp;T)…</translation>
    </message>
    <message>
        <source>Ask for s&amp;uspension…</source>
        <translation>挂账申请(&amp;U)…</translation>
    </message>
    <message>
        <source>History…</source>
        <translation>案件历史…</translation>
    </message>
    <message>
        <source>Green: under 80 % of the time limit used · yellow: 80–100 % · red: overdue. Sign for a task, then report it handled with “after” photos; requests go to the command centre with the next sync.</source>
        <translation>绿灯：已用时限不足 80% · 黄灯：80%–100% · 红灯：已超期。先签收任务，再附处置后照片提交处置反馈；申请在下次同步时发送至指挥中心。</translation>
    </message>
    <message>
        <source>Open: %1   ·   to sign for: %2</source>
        <translation>待处置：%1   ·   待签收：%2</translation>
    </message>
    <message>
        <source>%1 (waiting)</source>
        <translation>%1（待审批）</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1%</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>已签收</translation>
    </message>
    <message>
        <source>Not yet</source>
        <translation>未签收</translation>
    </message>
    <message>
        <source>Waiting to be sent with the next sync</source>
        <translation>等待下次同步发送</translation>
    </message>
    <message>
        <source>The tasks could not be read: %1</source>
        <translation>无法读取任务：%1</translation>
    </message>
</context>
<context>
    <name>HelpActions</name>
    <message>
        <source>Copy &amp;diagnostics</source>
        <translation>复制诊断信息(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;About CityPatrol</source>
        <translation>关于城市巡查(&amp;A)</translation>
    </message>
    <message>
        <source>Copy diagnostics</source>
        <translation>复制诊断信息</translation>
    </message>
    <message>
        <source>The diagnostics are on the clipboard: paste them into your support request. They hold no password or token.</source>
        <translation>诊断信息已复制到剪贴板，请粘贴到您的支持请求中。其中不含密码或令牌。</translation>
    </message>
</context>
<context>
    <name>InboxDelegate</name>
    <message>
        <source>No category</source>
        <translation>未分类</translation>
    </message>
    <message>
        <source>Supervisor: “%1”</source>
        <translation>值班长：“%1”</translation>
    </message>
    <message>
        <source>No opinion given</source>
        <translation>未填写意见</translation>
    </message>
    <message>
        <source>Returned %1</source>
        <translation>退回于 %1</translation>
    </message>
    <message>
        <source>Overdue since %1</source>
        <translation>已于 %1 超期</translation>
    </message>
    <message>
        <source>Deadline %1</source>
        <translation>时限 %1</translation>
    </message>
</context>
<context>
    <name>InboxModel</name>
    <message>
        <source>Returned for correction</source>
        <extracomment>The item behind a row (an :class:`InboxItem`). Accent colours of the two kinds (the stripe and the badge), readable on light and dark.</extracomment>
        <translation>退回修改</translation>
    </message>
    <message>
        <source>Re-inspection</source>
        <translation>核查</translation>
    </message>
    <message>
        <source>Address: %1</source>
        <translation>地址：%1</translation>
    </message>
    <message>
        <source>Opinion: %1</source>
        <translation>意见：%1</translation>
    </message>
</context>
<context>
    <name>InboxWidget</name>
    <message>
        <source>Tasks</source>
        <translation>待办</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <extracomment>A returned case to correct (its id): the case editor opens it. A re-inspection to do (its id): the re-inspection dialog opens for it. After each refresh: how many returned cases and re-inspections there are.</extracomment>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>Read the inbox again from this laptop's store</source>
        <translation>从本机数据重新读取待办</translation>
    </message>
    <message>
        <source>Tasks inbox</source>
        <translation>待办任务</translation>
    </message>
    <message>
        <source>Nothing to do.
Cases returned to you for correction and re-inspections assigned to you appear here after a sync.</source>
        <translation>暂无待办。
同步后，退回给你修改的案件和派给你的核查任务会显示在这里。</translation>
    </message>
    <message>
        <source>&amp;Correct and resubmit…</source>
        <translation>修改并重新上报(&amp;C)…</translation>
    </message>
    <message>
        <source>Open the returned case to correct it</source>
        <translation>打开退回的案件进行修改</translation>
    </message>
    <message>
        <source>Re-&amp;inspect…</source>
        <translation>核查(&amp;I)…</translation>
    </message>
    <message>
        <source>Record the result of the re-inspection with “after” photos</source>
        <translation>拍摄“处置后”照片并填写核查结果</translation>
    </message>
    <message>
        <source>Returned for correction: %1</source>
        <translation>退回修改：%1</translation>
    </message>
    <message>
        <source>Re-inspections: %1</source>
        <translation>待核查：%1</translation>
    </message>
    <message>
        <source>The inbox could not be read: %1</source>
        <translation>无法读取待办：%1</translation>
    </message>
</context>
<context>
    <name>InspectionsPanel</name>
    <message>
        <source>Inspections</source>
        <translation>督导检查</translation>
    </message>
    <message>
        <source>Type a name or code</source>
        <extracomment>The current inspection was read and shown (its id). A case was created from a deduction (its id): the main window may open it.</extracomment>
        <translation>输入名称或编码查找</translation>
    </message>
    <message>
        <source>Open (明察)</source>
        <translation>明察</translation>
    </message>
    <message>
        <source>Unannounced (暗访)</source>
        <translation>暗访</translation>
    </message>
    <message>
        <source>&amp;Begin inspection</source>
        <translation>开始检查(&amp;B)</translation>
    </message>
    <message>
        <source>New inspection</source>
        <translation>新建检查</translation>
    </message>
    <message>
        <source>Checklist:</source>
        <translation>检查表：</translation>
    </message>
    <message>
        <source>Object:</source>
        <translation>检查对象：</translation>
    </message>
    <message>
        <source>Mode:</source>
        <translation>方式：</translation>
    </message>
    <message>
        <source>Scored inspections are recorded by the inspection team (督导检查组). An administrator adds an inspector to it; then sign in again.</source>
        <translation>评分检查由督导检查组成员记录。请管理员把您加入督导检查组，然后重新登录。</translation>
    </message>
    <message>
        <source>Object</source>
        <translation>检查对象</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>方式</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>得分率</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>No inspection chosen</source>
        <translation>未选择检查</translation>
    </message>
    <message>
        <source>Item</source>
        <translation>检查项</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>说明</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Photo</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>Case</source>
        <translation>案件</translation>
    </message>
    <message>
        <source>What was found, where</source>
        <translation>发现的问题及地点</translation>
    </message>
    <message>
        <source>&amp;Photo…</source>
        <translation>照片(&amp;P)…</translation>
    </message>
    <message>
        <source>No photo</source>
        <translation>无照片</translation>
    </message>
    <message>
        <source>&amp;Add deduction</source>
        <translation>记录扣分(&amp;A)</translation>
    </message>
    <message>
        <source>Record a deduction</source>
        <translation>记录扣分</translation>
    </message>
    <message>
        <source>Item:</source>
        <translation>检查项：</translation>
    </message>
    <message>
        <source>Note:</source>
        <translation>说明：</translation>
    </message>
    <message>
        <source>Photo:</source>
        <translation>照片：</translation>
    </message>
    <message>
        <source>Position:</source>
        <translation>位置：</translation>
    </message>
    <message>
        <source>&amp;Remove deduction</source>
        <translation>撤销扣分(&amp;R)</translation>
    </message>
    <message>
        <source>Create &amp;case</source>
        <translation>立为案件(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Finish inspection</source>
        <translation>完成检查(&amp;F)</translation>
    </message>
    <message>
        <source>P&amp;ublish</source>
        <translation>通报(&amp;U)</translation>
    </message>
    <message>
        <source>Inspections: %1</source>
        <translation>检查次数：%1</translation>
    </message>
    <message>
        <source>%1 — %2 v%3 · %4 · %5</source>
        <translation>%1 — %2 第%3版 · %4 · %5</translation>
    </message>
    <message>
        <source>Score %1 / %2 (%3 %)</source>
        <translation>得分 %1 / %2（%3%）</translation>
    </message>
    <message>
        <source> (veto)</source>
        <translation>（一票否决）</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>有</translation>
    </message>
    <message>
        <source>Choose a checklist and an object first.</source>
        <translation>请先选择检查表和检查对象。</translation>
    </message>
    <message>
        <source>Photo of the problem</source>
        <translation>问题照片</translation>
    </message>
    <message>
        <source>Photos (*.jpg *.jpeg *.png *.heic)</source>
        <translation>照片 (*.jpg *.jpeg *.png *.heic)</translation>
    </message>
    <message>
        <source>Choose a deduction first.</source>
        <translation>请先选择一条扣分记录。</translation>
    </message>
</context>
<context>
    <name>LedgerDialog</name>
    <message>
        <source>Delivery ledger</source>
        <extracomment>The case fields a conflict can differ in, in display order. The ledger (re)loaded: the number of lines shown. A conflict of the case was resolved with the server's version (the case id).</extracomment>
        <translation>上传记录</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在读取…</translation>
    </message>
    <message>
        <source>Item</source>
        <translation>项目</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Recorded</source>
        <translation>记录时间</translation>
    </message>
    <message>
        <source>Confirmed by the server</source>
        <translation>服务器确认时间</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>说明</translation>
    </message>
    <message>
        <source>Conflicts with the office's decisions</source>
        <translation>与办公室处理的冲突</translation>
    </message>
    <message>
        <source>The ledger could not be read: %1</source>
        <translation>无法读取上传记录：%1</translation>
    </message>
    <message>
        <source>(no description)</source>
        <translation>（无描述）</translation>
    </message>
    <message>
        <source>Everything in this case is confirmed by the server (%1).</source>
        <translation>本案件的全部内容已由服务器确认（%1）。</translation>
    </message>
    <message>
        <source>The server refused a change: %1</source>
        <translation>服务器拒收了一项变更：%1</translation>
    </message>
    <message>
        <source>An edit conflicts with the office's decision: see below.</source>
        <translation>有一处修改与办公室的处理冲突，见下方。</translation>
    </message>
    <message>
        <source>Waiting to be sent: it goes with the next sync.</source>
        <translation>等待上传：将在下次同步时发送。</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>待上传</translation>
    </message>
    <message>
        <source>Sending</source>
        <translation>上传中</translation>
    </message>
    <message>
        <source>Confirmed</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>Refused</source>
        <translation>被拒收</translation>
    </message>
    <message>
        <source>Conflict</source>
        <translation>冲突</translation>
    </message>
    <message>
        <source>Replaced by the server's version</source>
        <translation>已采用服务器版本</translation>
    </message>
    <message>
        <source>Photo %1</source>
        <translation>照片 %1</translation>
    </message>
    <message>
        <source>Case created</source>
        <translation>新建案件</translation>
    </message>
    <message>
        <source>Case edited</source>
        <translation>修改案件</translation>
    </message>
    <message>
        <source>Case submitted</source>
        <translation>上报案件</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>问题描述</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Urgency</source>
        <translation>紧急程度</translation>
    </message>
    <message>
        <source>Latitude</source>
        <translation>纬度</translation>
    </message>
    <message>
        <source>Longitude</source>
        <translation>经度</translation>
    </message>
    <message>
        <source>Accuracy (m)</source>
        <translation>精度（米）</translation>
    </message>
    <message>
        <source>Your edit was not applied: the office changed this case meanwhile.</source>
        <translation>您的修改未生效：办公室在此期间已处理了该案件。</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>字段</translation>
    </message>
    <message>
        <source>Your version</source>
        <translation>您的版本</translation>
    </message>
    <message>
        <source>The server's version</source>
        <translation>服务器版本</translation>
    </message>
    <message>
        <source>Use the server's version</source>
        <translation>采用服务器版本</translation>
    </message>
    <message>
        <source>Your edit is kept in the ledger; the case takes the server's text.</source>
        <translation>您的修改保留在上传记录中；案件内容改为服务器版本。</translation>
    </message>
</context>
<context>
    <name>LoopSection</name>
    <message>
        <source>Departments in the loop</source>
        <extracomment>At most this many late departments are named (the rest are counted).</extracomment>
        <translation>部门闭环</translation>
    </message>
    <message>
        <source>Sign-for timeliness</source>
        <translation>签收及时率</translation>
    </message>
    <message>
        <source>Of the dispatches whose sign-for was due in the period, the share the department signed for within the limit</source>
        <translation>本期应签收的派遣中，部门在时限内签收的比例</translation>
    </message>
    <message>
        <source>Handled by the department</source>
        <translation>部门自主处置率</translation>
    </message>
    <message>
        <source>Of the handlings reported in the period, the share the department reported itself (the rest a supervisor reported on its behalf)</source>
        <translation>本期处置中由部门自行上报的比例（其余由监督员代为登记）</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>申请</translation>
    </message>
    <message>
        <source>The departments' requests made in the period, and the answers given in it</source>
        <translation>本期部门提出的申请及本期作出的答复</translation>
    </message>
    <message>
        <source>Requested</source>
        <translation>申请数</translation>
    </message>
    <message>
        <source>Approved</source>
        <translation>批准</translation>
    </message>
    <message>
        <source>%1 of %2 signed for within %3 h</source>
        <extracomment>Kind → (requested, approved) labels.</extracomment>
        <translation>应签收 %2 件，%3 小时内签收 %1 件</translation>
    </message>
    <message numerus="yes">
        <source>%n more</source>
        <translation>
            <numerusform>另 %n 个</numerusform>
        </translation>
    </message>
    <message>
        <source>Late: %1</source>
        <translation>超时签收：%1</translation>
    </message>
    <message>
        <source>No department signed late</source>
        <translation>无部门超时签收</translation>
    </message>
    <message>
        <source>%1 of %2 handlings reported by the department</source>
        <translation>处置 %2 件，部门自行处置 %1 件</translation>
    </message>
    <message>
        <source>Refused: %1 · approval rate %2</source>
        <translation>驳回 %1 件 · 批准率 %2</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>CityPatrol</source>
        <extracomment>(days back, label) of the date filter; None = any time.</extracomment>
        <translation>城市巡查</translation>
    </message>
    <message>
        <source>Search description or address…</source>
        <translation>搜索问题描述或地址…</translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation>查找(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Cases</source>
        <translation>案件</translation>
    </message>
    <message>
        <source>&amp;Next page</source>
        <translation>下一页(&amp;N)</translation>
    </message>
    <message>
        <source>Pre&amp;vious page</source>
        <translation>上一页(&amp;V)</translation>
    </message>
    <message>
        <source>Tasks</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>All categories</source>
        <translation>全部类别</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>不限时间</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <source>Any delivery</source>
        <translation>全部送达状态</translation>
    </message>
    <message>
        <source>Not yet delivered</source>
        <translation>尚未送达</translation>
    </message>
    <message>
        <source>Confirmed</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>Refused</source>
        <translation>被拒收</translation>
    </message>
    <message>
        <source>Conflict</source>
        <translation>冲突</translation>
    </message>
    <message>
        <source>Newest first</source>
        <translation>最新在前</translation>
    </message>
    <message>
        <source>Oldest first</source>
        <translation>最早在前</translation>
    </message>
    <message>
        <source>Recently changed</source>
        <translation>最近修改在前</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source>Map</source>
        <translation>地图</translation>
    </message>
    <message>
        <source>Inspections</source>
        <translation>督导检查</translation>
    </message>
    <message>
        <source>&amp;New case</source>
        <translation>新建案件(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Sync now</source>
        <translation>立即同步(&amp;S)</translation>
    </message>
    <message>
        <source>Start &amp;patrol</source>
        <translation>开始巡查(&amp;P)</translation>
    </message>
    <message>
        <source>P&amp;ause patrol</source>
        <translation>暂停巡查(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Open case</source>
        <translation>打开案件(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Delivery ledger…</source>
        <translation>送达记录(&amp;D)…</translation>
    </message>
    <message>
        <source>&amp;Export cases…</source>
        <translation>导出案件(&amp;E)…</translation>
    </message>
    <message>
        <source>Sign &amp;in…</source>
        <translation>登录(&amp;I)…</translation>
    </message>
    <message>
        <source>Sign &amp;out</source>
        <translation>退出登录(&amp;O)</translation>
    </message>
    <message>
        <source>Se&amp;ttings…</source>
        <translation>设置(&amp;T)…</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <extracomment>The Coverage tab (app.ui.supervisor.coverage.CoveragePanel), for supervisors. The dashboard tab (app.ui.dashboard.DashboardWidget), added for supervisors by _add_dashboard(); None until then. Departments in the loop (issue 15): a supervisor's requests queue, a handler's tasks. The open case histories (one per case). They delete themselves on close, so the list is pruned of deleted windows before use: window tracking, not result checks. The pages by group (app.ui.navigation), each also in the View menu.</extracomment>
        <translation>查看(&amp;V)</translation>
    </message>
    <message>
        <source>S&amp;ync</source>
        <translation>同步(&amp;Y)</translation>
    </message>
    <message>
        <source>&amp;Patrol</source>
        <translation>巡查(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Open &amp;log folder</source>
        <translation>打开日志文件夹(&amp;L)</translation>
    </message>
    <message>
        <source>Show on &amp;map</source>
        <translation>在地图上显示(&amp;M)</translation>
    </message>
    <message>
        <source>Tasks (%1)</source>
        <translation>任务（%1）</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>审核</translation>
    </message>
    <message>
        <source>Deadlines</source>
        <translation>时限</translation>
    </message>
    <message>
        <source>Office map</source>
        <translation>监督地图</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>申请审批</translation>
    </message>
    <message>
        <source>Coverage</source>
        <translation>巡查覆盖</translation>
    </message>
    <message>
        <source>Department tasks</source>
        <translation>部门任务</translation>
    </message>
    <message>
        <source>Department tasks (%1 to sign for)</source>
        <translation>部门任务（%1 件待签收）</translation>
    </message>
    <message>
        <source>Department tasks (%1)</source>
        <translation>部门任务（%1）</translation>
    </message>
    <message>
        <source>Requests (%1)</source>
        <translation>申请审批（%1）</translation>
    </message>
    <message>
        <source>Dashboard</source>
        <translation>考核看板</translation>
    </message>
    <message>
        <source>Assessment</source>
        <translation>年终考核</translation>
    </message>
    <message>
        <source>Review (%1)</source>
        <translation>审核（%1）</translation>
    </message>
    <message>
        <source>Deadlines (%1 overdue)</source>
        <translation>时限（%1 件超期）</translation>
    </message>
    <message>
        <source>Nobody is signed in on this laptop.</source>
        <translation>本机没有登录的账号。</translation>
    </message>
    <message>
        <source>Signed out. The server has ended the session.</source>
        <translation>已退出登录，服务器已结束该会话。</translation>
    </message>
    <message>
        <source>Signed out on this laptop, but the server could not be told (no connection); the session ends on the server when it expires.</source>
        <translation>已在本机退出登录，但未能通知服务器（无网络连接）；该会话将在过期时于服务器上结束。</translation>
    </message>
    <message>
        <source>Stop &amp;patrol</source>
        <translation>结束巡查(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Resume patrol</source>
        <translation>继续巡查(&amp;R)</translation>
    </message>
    <message>
        <source>No cases match the search.</source>
        <translation>没有符合条件的案件。</translation>
    </message>
    <message>
        <source>No cases yet.
The cases you record on patrol will be listed here, even without a network.</source>
        <translation>还没有案件。
巡查中记录的案件会列在这里，没有网络也可以。</translation>
    </message>
    <message numerus="yes">
        <source>%n case(s)</source>
        <translation>
            <numerusform>共 %n 件案件</numerusform>
        </translation>
    </message>
    <message>
        <source>Not signed in — working offline</source>
        <translation>未登录——离线工作</translation>
    </message>
    <message>
        <source>Signed in as %1 — %2</source>
        <translation>已登录：%1 — %2</translation>
    </message>
    <message>
        <source>Checklists</source>
        <translation>检查表</translation>
    </message>
</context>
<context>
    <name>ManualPositionDialog</name>
    <message>
        <source>Enter position</source>
        <translation>输入位置</translation>
    </message>
    <message>
        <source>e.g. 32.041234</source>
        <translation>例如 32.041234</translation>
    </message>
    <message>
        <source>e.g. 118.784567</source>
        <translation>例如 118.784567</translation>
    </message>
    <message>
        <source>optional</source>
        <translation>可不填</translation>
    </message>
    <message>
        <source>&amp;Latitude (°):</source>
        <translation>纬度（°）(&amp;L)：</translation>
    </message>
    <message>
        <source>L&amp;ongitude (°):</source>
        <translation>经度（°）(&amp;O)：</translation>
    </message>
    <message>
        <source>&amp;Accuracy (m):</source>
        <translation>精度（米）(&amp;A)：</translation>
    </message>
    <message>
        <source>WGS84 decimal degrees, as a GPS shows them. You may paste “lat, lon”.</source>
        <translation>WGS84 十进制度数，与 GPS 显示一致。可直接粘贴“纬度, 经度”。</translation>
    </message>
    <message>
        <source>Required</source>
        <translation>必填</translation>
    </message>
    <message>
        <source>Enter a number, such as 32.041234</source>
        <translation>请输入数字，例如 32.041234</translation>
    </message>
</context>
<context>
    <name>MapPanel</name>
    <message>
        <source>Patrol track</source>
        <extracomment>A case marker was clicked: open the case.</extracomment>
        <translation>巡查轨迹</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>图层</translation>
    </message>
    <message>
        <source>The office's grid cells and the vector layers added in the settings (areas, roads)</source>
        <translation>单位下发的单元网格及在设置中添加的矢量图层（区域、道路）</translation>
    </message>
    <message>
        <source>Basemap:</source>
        <translation>底图：</translation>
    </message>
    <message>
        <source>(none — add one in Settings)</source>
        <translation>（无——请在设置中添加）</translation>
    </message>
    <message numerus="yes">
        <source>%n case(s) on the map</source>
        <translation>
            <numerusform>地图上有 %n 个案件</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MapView</name>
    <message>
        <source>Zoom in</source>
        <extracomment>Decoded tiles kept (ARGB32: 256 KiB a tile, so 64 MiB is 256 tiles, four full screens). How far the view may zoom past the basemap's last level (scaled tiles). A press that moves less than this is a click, not a drag. Where the map opens without a basemap or cases: Guixi, the sample town (any place will do). A case marker was clicked: its id. In picking mode, a click on the map (not on a marker): WGS84 latitude, longitude. The centre or the zoom changed. Cases were (re)loaded: how many are on the map.</extracomment>
        <translation>放大</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <source>Show all cases</source>
        <translation>显示全部案件</translation>
    </message>
    <message>
        <source>No basemap: add an MBTiles file in Settings.</source>
        <translation>没有底图：请在设置中添加 MBTiles 文件。</translation>
    </message>
</context>
<context>
    <name>Navigator</name>
    <message>
        <source>Patrol</source>
        <extracomment>The widest a title is given room for before it wraps (in pixels). A page item's data: the page widget it shows (None: a group's header).</extracomment>
        <translation>巡查</translation>
    </message>
    <message>
        <source>Department</source>
        <translation>处置</translation>
    </message>
    <message>
        <source>Office</source>
        <translation>指挥</translation>
    </message>
    <message>
        <source>Analysis</source>
        <translation>统计</translation>
    </message>
    <message>
        <source>Administration</source>
        <translation>管理</translation>
    </message>
    <message>
        <source>Navigation</source>
        <extracomment>The page shown changed: its index (the order pages were added in).</extracomment>
        <translation>导航</translation>
    </message>
    <message>
        <source>The pages of the window, by group</source>
        <translation>窗口的各页面，按分组列出</translation>
    </message>
</context>
<context>
    <name>PatrolLabel</name>
    <message>
        <source>Patrol %1 km · %2</source>
        <extracomment>Kept points are written at least this often (and at every pause or stop).</extracomment>
        <translation>巡查中 %1 公里 · %2</translation>
    </message>
    <message>
        <source>Patrol paused %1 km · %2</source>
        <translation>巡查已暂停 %1 公里 · %2</translation>
    </message>
    <message>
        <source>Last patrol %1 km · %2</source>
        <translation>上次巡查 %1 公里 · %2</translation>
    </message>
</context>
<context>
    <name>PhotoStrip</name>
    <message>
        <source>Drop photos or folders here</source>
        <extracomment>Refused files listed in full before "and N more". Main-thread callable giving a job-side callable that returns the case id (creating the case when needed). See :meth:`PhotoStrip.set_case_source`. The photos now shown (``list[PhotoRow]``), after every reload. The case's photos were written (import or removal), or the case was created for an import (see :meth:`set_case_source`); the case id. A batch finished: ids attached, and the refusals (``list[str]`` of readable reasons).</extracomment>
        <translation>可将照片或文件夹拖到此处</translation>
    </message>
    <message>
        <source>&amp;Add photos…</source>
        <translation>添加照片(&amp;A)…</translation>
    </message>
    <message>
        <source>Add &amp;folder…</source>
        <translation>添加文件夹(&amp;F)…</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>移除(&amp;R)</translation>
    </message>
    <message>
        <source>Remove the selected photo from this case (Delete)</source>
        <translation>从此案件中移除所选照片（Delete）</translation>
    </message>
    <message>
        <source>Photos</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>知道了</translation>
    </message>
    <message>
        <source>Add photos</source>
        <translation>添加照片</translation>
    </message>
    <message>
        <source>Photo files (%1)</source>
        <translation>照片文件 (%1)</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>所有文件 (*)</translation>
    </message>
    <message>
        <source>Add a folder of photos</source>
        <translation>添加照片文件夹</translation>
    </message>
    <message>
        <source>Remove photo</source>
        <translation>移除照片</translation>
    </message>
    <message>
        <source>Remove %1 from this case? The file on your disk is not deleted.</source>
        <translation>从此案件中移除 %1？磁盘上的文件不会被删除。</translation>
    </message>
    <message>
        <source>No files found there.</source>
        <translation>该处没有找到文件。</translation>
    </message>
    <message>
        <source>Importing %1 of %2…</source>
        <translation>正在导入第 %1 张，共 %2 张…</translation>
    </message>
    <message>
        <source>Looking for photos…</source>
        <translation>正在查找照片…</translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) could not be added:</source>
        <translation>
            <numerusform>%n 个文件未能添加：</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>…and %n more</source>
        <translation>
            <numerusform>……另有 %n 个</numerusform>
        </translation>
    </message>
    <message>
        <source>Photos (%1)</source>
        <translation>照片（%1）</translation>
    </message>
    <message>
        <source>No photos.</source>
        <translation>没有照片。</translation>
    </message>
    <message>
        <source>No photos yet. Drop photos or folders here, or click “Add photos…”.</source>
        <translation>还没有照片。可将照片或文件夹拖到此处，或点击“添加照片…”。</translation>
    </message>
    <message>
        <source>The server already has this photo</source>
        <translation>服务器已收到此照片</translation>
    </message>
    <message>
        <source>Taken %1</source>
        <translation>拍摄于 %1</translation>
    </message>
    <message>
        <source>Position %1</source>
        <translation>位置 %1</translation>
    </message>
    <message>
        <source>(from the patrol track)</source>
        <translation>（根据巡查轨迹）</translation>
    </message>
    <message>
        <source>No position</source>
        <translation>无位置</translation>
    </message>
    <message>
        <source>Not sent yet</source>
        <translation>尚未发送</translation>
    </message>
    <message>
        <source>Uploading</source>
        <translation>正在上传</translation>
    </message>
    <message>
        <source>Confirmed by the server</source>
        <translation>服务器已确认</translation>
    </message>
    <message>
        <source>The server refused it</source>
        <translation>服务器拒收</translation>
    </message>
</context>
<context>
    <name>PhotoViewer</name>
    <message>
        <source>◀ &amp;Previous</source>
        <extracomment>The preview of the photo shown is on screen (or could not be made). A fetch of an original ended (fetched, refused or failed: :attr:`fetch_label` says). Whether the photo on screen is a thumbnail standing in for its original.</extracomment>
        <translation>◀ 上一张(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Next ▶</source>
        <translation>下一张(&amp;N) ▶</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>%1 — photo %2 of %3</source>
        <translation>%1 — 第 %2 张，共 %3 张</translation>
    </message>
    <message>
        <source>This photo cannot be shown: %1</source>
        <translation>无法显示此照片：%1</translation>
    </message>
    <message>
        <source>The server will not give this photo's original: %1</source>
        <translation>服务器不提供这张照片的原图：%1</translation>
    </message>
    <message>
        <source>The original of this photo is not on this laptop.</source>
        <translation>这张照片的原图不在本机上。</translation>
    </message>
    <message>
        <source>Showing the thumbnail; fetching the original from the server…</source>
        <translation>正在显示缩略图；正在从服务器获取原图…</translation>
    </message>
    <message>
        <source>No thumbnail of this photo yet.</source>
        <translation>这张照片还没有缩略图。</translation>
    </message>
    <message>
        <source>the server cannot be reached (%1)</source>
        <translation>无法连接服务器（%1）</translation>
    </message>
    <message>
        <source>The original could not be fetched: %1
The thumbnail is shown; open the photo again when the server can be reached.</source>
        <translation>无法获取原图：%1
现显示缩略图；服务器可连接时请再次打开这张照片。</translation>
    </message>
</context>
<context>
    <name>PositionPanel</name>
    <message>
        <source>Use &amp;current position</source>
        <extracomment>How often the panel asks ``current_fix`` for the receiver's position (to enable its button). A position the user chose (current, photo or typed); the editor stores it.</extracomment>
        <translation>使用当前位置(&amp;C)</translation>
    </message>
    <message>
        <source>Use p&amp;hoto position</source>
        <translation>使用照片位置(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Enter manually…</source>
        <translation>手工输入(&amp;E)…</translation>
    </message>
    <message>
        <source>Pick on &amp;map</source>
        <translation>在地图上选点(&amp;M)</translation>
    </message>
    <message>
        <source>GPS receiver</source>
        <translation>GPS 接收机</translation>
    </message>
    <message>
        <source>location service</source>
        <translation>系统定位服务</translation>
    </message>
    <message>
        <source>photo</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>entered by hand</source>
        <translation>手工输入</translation>
    </message>
    <message>
        <source>patrol track</source>
        <translation>巡查轨迹</translation>
    </message>
    <message>
        <source>No position yet</source>
        <translation>尚无位置</translation>
    </message>
    <message>
        <source>Use the current position, a photo's position, or enter it by hand.</source>
        <translation>可使用当前位置、照片位置，或手工输入。</translation>
    </message>
    <message>
        <source>accuracy unknown</source>
        <translation>精度未知</translation>
    </message>
    <message>
        <source>Poor accuracy: %1, worse than %2 m. Check the spot, or enter the position by hand.</source>
        <translation>定位精度差：%1，超过 %2 米。请核对位置，或手工输入。</translation>
    </message>
    <message>
        <source>The accuracy of this position is unknown. Check the spot, or enter the position by hand.</source>
        <translation>此位置的精度未知。请核对位置，或手工输入。</translation>
    </message>
    <message>
        <source>Position of the photo: %1</source>
        <translation>照片位置：%1</translation>
    </message>
    <message>
        <source>No photo of this case has a position</source>
        <translation>此案件的照片都没有位置信息</translation>
    </message>
    <message>
        <source>No current position from GPS.</source>
        <translation>GPS 暂无当前位置。</translation>
    </message>
    <message>
        <source>Current position: %1 (%2)</source>
        <translation>当前位置：%1（%2）</translation>
    </message>
</context>
<context>
    <name>ReinspectionDialog</name>
    <message>
        <source>Re-inspection</source>
        <extracomment>The ids of the department's photos (its report of handling names them). The full-size viewer last opened (it deletes itself on close).</extracomment>
        <translation>核查</translation>
    </message>
    <message>
        <source>&amp;Submit result</source>
        <translation>提交结果(&amp;S)</translation>
    </message>
    <message>
        <source>Loading the case…</source>
        <translation>正在读取案件…</translation>
    </message>
    <message>
        <source>Before — as reported</source>
        <translation>处置前（上报时）</translation>
    </message>
    <message>
        <source>No photos of the original report on this laptop.</source>
        <translation>本机没有原始上报的照片。</translation>
    </message>
    <message>
        <source>Photos as reported</source>
        <translation>上报时的照片</translation>
    </message>
    <message>
        <source>Handled — as the department reported</source>
        <translation>处置后 — 处置部门反馈</translation>
    </message>
    <message>
        <source>The department sent no photos.</source>
        <translation>处置部门未提供照片。</translation>
    </message>
    <message>
        <source>Photos of the department</source>
        <translation>处置部门的照片</translation>
    </message>
    <message>
        <source>After — taken now</source>
        <extracomment>The department's report of handling: its opinion, who, when (issue 15).</extracomment>
        <translation>处置后（现场拍摄）</translation>
    </message>
    <message>
        <source>Drop photos or folders here,
or click “Add photos…”.</source>
        <translation>将照片或文件夹拖到这里，
或点击“添加照片…”。</translation>
    </message>
    <message>
        <source>Photos taken now</source>
        <translation>现场拍摄的照片</translation>
    </message>
    <message>
        <source>&amp;Add photos…</source>
        <translation>添加照片(&amp;A)…</translation>
    </message>
    <message>
        <source>Re&amp;move</source>
        <translation>移除(&amp;M)</translation>
    </message>
    <message>
        <source>Remove the selected photos that are not saved yet</source>
        <translation>移除选中的尚未保存的照片</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>核查结果</translation>
    </message>
    <message>
        <source>&amp;Passed — the problem has been fixed</source>
        <translation>通过——问题已解决(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Failed — the problem is still there</source>
        <translation>不通过——问题仍然存在(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Opinion:</source>
        <translation>意见(&amp;O)：</translation>
    </message>
    <message>
        <source>What you found on site</source>
        <translation>现场核查情况</translation>
    </message>
    <message>
        <source>No category</source>
        <translation>未分类</translation>
    </message>
    <message>
        <source>(no description)</source>
        <translation>（无描述）</translation>
    </message>
    <message>
        <source>Re-inspection — %1</source>
        <translation>核查 — %1</translation>
    </message>
    <message>
        <source>Address: %1</source>
        <translation>地址：%1</translation>
    </message>
    <message>
        <source>Department: %1</source>
        <translation>处置部门：%1</translation>
    </message>
    <message>
        <source>Reported %1</source>
        <translation>上报于 %1</translation>
    </message>
    <message>
        <source>Overdue since %1</source>
        <translation>已于 %1 超期</translation>
    </message>
    <message>
        <source>Deadline: %1</source>
        <translation>处置时限：%1</translation>
    </message>
    <message>
        <source>Supervisor: “%1”</source>
        <translation>值班长：“%1”</translation>
    </message>
    <message>
        <source>The supervisor gave no opinion.</source>
        <translation>值班长未填写意见。</translation>
    </message>
    <message>
        <source>This case is not awaiting a re-inspection by you (it is: %1).</source>
        <translation>该案件不在等待你核查（当前状态：%1）。</translation>
    </message>
    <message>
        <source>No report of handling from the department.</source>
        <translation>部门尚未提交处置反馈。</translation>
    </message>
    <message>
        <source>the department</source>
        <translation>处置部门</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <source>Reported handled by %1 on %2</source>
        <translation>%1 于 %2 反馈已处置</translation>
    </message>
    <message>
        <source>Opinion: “%1”</source>
        <translation>处置意见：“%1”</translation>
    </message>
    <message>
        <source>The department gave no opinion.</source>
        <translation>部门未填写处置意见。</translation>
    </message>
    <message>
        <source>Taken %1</source>
        <translation>拍摄于 %1</translation>
    </message>
    <message>
        <source>Saved on this laptop</source>
        <translation>已保存在本机</translation>
    </message>
    <message>
        <source>The case could not be read</source>
        <translation>无法读取案件</translation>
    </message>
    <message>
        <source>Add “after” photos</source>
        <translation>添加“处置后”照片</translation>
    </message>
    <message>
        <source>Photos (%1);;All files (*)</source>
        <translation>照片 (%1);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Checking the photos…</source>
        <translation>正在检查照片…</translation>
    </message>
    <message>
        <source>%1
Not saved yet: saved when you submit the result</source>
        <translation>%1
尚未保存：提交结果时保存</translation>
    </message>
    <message>
        <source>Not added:</source>
        <translation>未添加：</translation>
    </message>
    <message>
        <source>&amp;Opinion (required when it failed):</source>
        <translation>意见（不通过时必填）(&amp;O)：</translation>
    </message>
    <message>
        <source>What is still wrong on site, for the department to rework</source>
        <translation>现场仍存在的问题，供处置部门返工</translation>
    </message>
    <message>
        <source>Choose whether the re-inspection passed or failed.</source>
        <translation>请选择核查通过或不通过。</translation>
    </message>
    <message>
        <source>An opinion is required when the re-inspection fails.</source>
        <translation>核查不通过时必须填写意见。</translation>
    </message>
    <message>
        <source>The opinion is too long (at most %1 characters).</source>
        <translation>意见过长（最多 %1 个字）。</translation>
    </message>
    <message>
        <source>These photos cannot be used; remove or replace them and submit again:</source>
        <translation>以下照片无法使用，请移除或更换后重新提交：</translation>
    </message>
    <message>
        <source>Saving…</source>
        <extracomment>A saved photo's PhotoRow (opened full size on a double-click). Files offered by the file dialog (photo types the store takes; the decoder decides). What the dialog reads: the task, the case, its photos with thumbnails, the ids of the department's photos among them, and the department's report of handling. Emitted with the store's :class:`Changes` once the result is recorded (then accept()).</extracomment>
        <translation>正在保存…</translation>
    </message>
    <message>
        <source>After — taken now (%1 new)</source>
        <translation>处置后（现场拍摄，新增 %1 张）</translation>
    </message>
</context>
<context>
    <name>RequestsPanel</name>
    <message>
        <source>Requests</source>
        <extracomment>The user asked for a case's history (its id). After each reload: how many requests wait. The list was read and shown. An answer was recorded (the store's Changes). The open answer dialog (None when none is open).</extracomment>
        <translation>申请审批</translation>
    </message>
    <message>
        <source>Request</source>
        <translation>申请</translation>
    </message>
    <message>
        <source>Department</source>
        <translation>处置部门</translation>
    </message>
    <message>
        <source>Case</source>
        <translation>案件</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>理由</translation>
    </message>
    <message>
        <source>Deadline → proposed</source>
        <translation>原时限 → 申请时限</translation>
    </message>
    <message>
        <source>No request waits for an answer.</source>
        <translation>暂无待审批的申请。</translation>
    </message>
    <message>
        <source>&amp;Approve…</source>
        <translation>批准(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Refuse…</source>
        <translation>驳回(&amp;R)…</translation>
    </message>
    <message>
        <source>Approving an extension moves the deadline; approving a return puts the case back for dispatch; approving a suspension suspends it. A refusal needs a reason.</source>
        <translation>批准延期即更改处置时限；批准退回即案件回到待派遣；批准挂账即案件挂账。驳回须说明理由。</translation>
    </message>
    <message>
        <source>Waiting: %1</source>
        <translation>待审批：%1</translation>
    </message>
    <message>
        <source>The requests could not be read: %1</source>
        <translation>无法读取申请：%1</translation>
    </message>
</context>
<context>
    <name>ReviewDetails</name>
    <message>
        <source>Description:</source>
        <extracomment>Nearby open cases of the same category are possible duplicates (store.nearby_open_cases). The user asked for a nearby case's whole history (its id).</extracomment>
        <translation>问题描述：</translation>
    </message>
    <message>
        <source>Address:</source>
        <translation>地址：</translation>
    </message>
    <message>
        <source>Position:</source>
        <translation>位置：</translation>
    </message>
    <message>
        <source>Inspector:</source>
        <translation>监督员：</translation>
    </message>
    <message>
        <source>Submitted:</source>
        <translation>上报时间：</translation>
    </message>
    <message>
        <source>Photos</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>No photos on this laptop.</source>
        <translation>本机没有这个案件的照片。</translation>
    </message>
    <message>
        <source>Photos of the case</source>
        <translation>案件照片</translation>
    </message>
    <message>
        <source>Possible duplicates nearby</source>
        <translation>附近可能重复的案件</translation>
    </message>
    <message>
        <source>Open cases of the same category within %1 m, reported in the last %2 days</source>
        <translation>%1 米范围内、最近 %2 天上报的同类未结案件</translation>
    </message>
    <message>
        <source>None: no open case of this category nearby.</source>
        <translation>无：附近没有同类未结案件。</translation>
    </message>
    <message>
        <source>No category</source>
        <translation>未分类</translation>
    </message>
    <message>
        <source>Decision waiting to be sent</source>
        <translation>处理意见待上传</translation>
    </message>
    <message>
        <source>(no description)</source>
        <translation>（无描述）</translation>
    </message>
    <message>
        <source>(±%1 m)</source>
        <translation>（±%1 米）</translation>
    </message>
    <message>
        <source>No position</source>
        <translation>无位置</translation>
    </message>
    <message>
        <source>Photos (%1)</source>
        <translation>照片（%1）</translation>
    </message>
    <message>
        <source>Looking…</source>
        <translation>正在查找…</translation>
    </message>
    <message>
        <source>%1 m</source>
        <translation>%1 米</translation>
    </message>
    <message>
        <source>Double-click to see its history</source>
        <translation>双击查看案件详情</translation>
    </message>
    <message>
        <source>Possible duplicates nearby (%1)</source>
        <translation>附近可能重复的案件（%1）</translation>
    </message>
</context>
<context>
    <name>ReviewPanel</name>
    <message>
        <source>Review</source>
        <extracomment>Actions the review panel takes itself (the others open a DecisionDialog). A decision was recorded (the store's :class:`Changes`, already announced on the store's events): the sync should send it. The user asked for a case's whole history (its id). After each reload: how many cases wait for review. The queue was read and shown (after each refresh). The row to select after the next reload (the one after a decided case). The case whose details are shown.</extracomment>
        <translation>审核</translation>
    </message>
    <message>
        <source>Submitted cases waiting for review</source>
        <translation>待审核的上报案件</translation>
    </message>
    <message>
        <source>No submitted cases are waiting for review.
New reports from the inspectors arrive with the next sync.</source>
        <translation>没有待审核的上报案件。
监督员新上报的案件会在下次同步后出现在这里。</translation>
    </message>
    <message>
        <source>&amp;Accept (A)</source>
        <translation>受理(&amp;A)</translation>
    </message>
    <message>
        <source>Accept the selected case (受理)</source>
        <translation>受理选中的案件</translation>
    </message>
    <message>
        <source>&amp;Reject… (R)</source>
        <translation>不予受理(&amp;R)…</translation>
    </message>
    <message>
        <source>Reject the case, with the reason</source>
        <translation>不予受理，并填写理由</translation>
    </message>
    <message>
        <source>Re&amp;turn for correction… (T)</source>
        <translation>退回修改(&amp;T)…</translation>
    </message>
    <message>
        <source>Send the case back to the inspector, saying what to correct</source>
        <translation>退回给监督员，并说明需要修改的内容</translation>
    </message>
    <message>
        <source>Accept &amp;selected</source>
        <translation>批量受理(&amp;S)</translation>
    </message>
    <message>
        <source>Accept every selected case at once</source>
        <translation>一次受理所有选中的案件</translation>
    </message>
    <message>
        <source>&amp;History…</source>
        <translation>案件详情(&amp;H)…</translation>
    </message>
    <message>
        <source>The case's whole history and every action</source>
        <translation>案件的全部流转记录和可做的操作</translation>
    </message>
    <message>
        <source>J/K or ↓/↑: next/previous case</source>
        <translation>J/K 或 ↓/↑：下一件/上一件</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>取消（Esc）</translation>
    </message>
    <message>
        <source>Ctrl+Enter confirms</source>
        <translation>Ctrl+Enter 确认</translation>
    </message>
    <message>
        <source>Select a case to see its details.</source>
        <translation>选择一个案件查看详情。</translation>
    </message>
    <message numerus="yes">
        <source>%n case(s) waiting for review</source>
        <translation>
            <numerusform>%n 件待审核</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s)</source>
        <translation>
            <numerusform>%n 张照片</numerusform>
        </translation>
    </message>
    <message>
        <source>decision waiting to be sent</source>
        <translation>处理意见待上传</translation>
    </message>
    <message>
        <source>The review queue could not be read: %1</source>
        <translation>无法读取待审核列表：%1</translation>
    </message>
    <message>
        <source>Accept &amp;selected (%1)</source>
        <translation>批量受理(&amp;S)（%1）</translation>
    </message>
    <message>
        <source>Reason for rejecting (required):</source>
        <translation>不予受理的理由（必填）：</translation>
    </message>
    <message>
        <source>Why the report is not accepted: not a problem, a duplicate, outside the area…</source>
        <translation>不予受理的原因：不属实、重复上报、不属于管辖范围…</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>不予受理</translation>
    </message>
    <message>
        <source>What the inspector must correct (required):</source>
        <translation>需要监督员修改的内容（必填）：</translation>
    </message>
    <message>
        <source>For example: add the house number and a close-up photo</source>
        <translation>例如：补充门牌号和近景照片</translation>
    </message>
    <message>
        <source>Return for correction</source>
        <translation>退回修改</translation>
    </message>
    <message>
        <source>%1: %2 — it goes to the server with the next sync.</source>
        <translation>%1：%2 —— 将在下次同步时上传到服务器。</translation>
    </message>
    <message numerus="yes">
        <source>Accepted %n case(s).</source>
        <translation>
            <numerusform>已受理 %n 件。</numerusform>
        </translation>
    </message>
    <message>
        <source>Not accepted:</source>
        <translation>未能受理：</translation>
    </message>
</context>
<context>
    <name>RoundsPanel</name>
    <message>
        <source>Key-site rounds</source>
        <translation>重点部位检查</translation>
    </message>
    <message>
        <source>Key site</source>
        <translation>重点部位</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Due by</source>
        <translation>检查时限</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>&amp;No problem found here</source>
        <translation>未发现问题(&amp;N)</translation>
    </message>
    <message>
        <source>Record the round as done at your current position: nothing to report</source>
        <translation>以当前位置记录本次检查已完成：未发现问题</translation>
    </message>
    <message>
        <source>&amp;Problem reported here</source>
        <translation>已上报问题(&amp;P)</translation>
    </message>
    <message>
        <source>Record the round as done with the case you reported at the site today</source>
        <translation>以今天在该部位上报的案件记录本次检查已完成</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>已检</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>待检</translation>
    </message>
    <message>
        <source>Missed</source>
        <translation>漏检</translation>
    </message>
    <message numerus="yes">
        <source>%n round(s) today and this week</source>
        <translation>
            <numerusform>今日及本周共 %n 次检查</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n done</source>
        <translation>
            <numerusform>已完成 %n 次</numerusform>
        </translation>
    </message>
    <message>
        <source>No position yet: connect the GPS receiver and wait for a fix</source>
        <translation>尚无定位：请连接 GPS 接收机并等待定位</translation>
    </message>
</context>
<context>
    <name>SessionBanner</name>
    <message>
        <source>Your session has expired — sign in again to sync. Your work is kept on this laptop.</source>
        <extracomment>The banner's "Sign in" button was clicked: open a :class:`SignInDialog`.</extracomment>
        <translation>登录已过期——请重新登录以继续同步。您的工作已保存在本机，不会丢失。</translation>
    </message>
    <message>
        <source>Sign in…</source>
        <translation>登录…</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>Server address:</source>
        <translation>服务器地址：</translation>
    </message>
    <message>
        <source>Original size (best evidence, largest)</source>
        <translation>原图（证据最完整，文件最大）</translation>
    </message>
    <message>
        <source>Long edge 2560 px</source>
        <translation>长边 2560 像素</translation>
    </message>
    <message>
        <source>Long edge 1600 px (smallest)</source>
        <translation>长边 1600 像素（文件最小）</translation>
    </message>
    <message>
        <source>Hold photos back on metered connections (case records still go)</source>
        <translation>按流量计费的网络下暂缓上传照片（案件记录照常上传）</translation>
    </message>
    <message>
        <source>Of open cases (thumbnails of the others)</source>
        <translation>仅未结案件（其余只下载缩略图）</translation>
    </message>
    <message>
        <source>All (every original of every case)</source>
        <translation>全部（每个案件的每张原图）</translation>
    </message>
    <message>
        <source>Only when opened (thumbnails first)</source>
        <translation>仅在打开时（先下载缩略图）</translation>
    </message>
    <message>
        <source>Which photos of others' cases the sync downloads in full</source>
        <translation>同步时完整下载哪些他人案件的照片原图</translation>
    </message>
    <message>
        <source>Photos</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>Upload size:</source>
        <translation>上传尺寸：</translation>
    </message>
    <message>
        <source>Download originals:</source>
        <translation>下载原图：</translation>
    </message>
    <message>
        <source> m</source>
        <translation> 米</translation>
    </message>
    <message>
        <source>Positions less accurate than this get a warning.</source>
        <translation>定位精度低于此值时给出提示。</translation>
    </message>
    <message>
        <source>Positions</source>
        <translation>定位</translation>
    </message>
    <message>
        <source>Poor accuracy:</source>
        <translation>精度不足阈值：</translation>
    </message>
    <message>
        <source>System default (%1)</source>
        <translation>跟随系统（%1）</translation>
    </message>
    <message>
        <source>Leave empty to use the default folder.</source>
        <translation>留空则使用默认文件夹。</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Language and data</source>
        <translation>语言与数据</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>界面语言：</translation>
    </message>
    <message>
        <source>Data folder:</source>
        <translation>数据文件夹：</translation>
    </message>
    <message>
        <source>Language and data folder changes take effect after restart.</source>
        <translation>语言和数据文件夹的更改在重新启动后生效。</translation>
    </message>
    <message>
        <source>Choose the data folder</source>
        <translation>选择数据文件夹</translation>
    </message>
    <message>
        <source>Enter the server address as http://host or https://host, with an optional :port — for example https://citypatrol.example.gov.cn:8443</source>
        <translation>请按 http://主机 或 https://主机 的格式填写服务器地址，可加 :端口——例如 https://citypatrol.example.gov.cn:8443</translation>
    </message>
    <message>
        <source>Choose a folder by its full path (or leave empty for the default).</source>
        <translation>请填写文件夹的完整路径（或留空使用默认文件夹）。</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>Sign in</source>
        <extracomment>Emitted on success, before the dialog closes: the signed-in :class:`Account`.</extracomment>
        <translation>登录</translation>
    </message>
    <message>
        <source>Sign in to the CityPatrol server</source>
        <translation>登录城市巡查服务器</translation>
    </message>
    <message>
        <source>Sign in once with your inspector account; afterwards you can work without a network. Your password is not stored on this laptop.</source>
        <translation>用您的巡查员账号登录一次，之后没有网络也能照常工作。密码不会保存在本机。</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Server:</source>
        <translation>服务器：</translation>
    </message>
    <message>
        <source>User name:</source>
        <translation>用户名：</translation>
    </message>
    <message>
        <source>Password:</source>
        <translation>密码：</translation>
    </message>
    <message>
        <source>The system's certificates</source>
        <translation>系统自带的证书</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>CA certificate:</source>
        <translation>CA 证书：</translation>
    </message>
    <message>
        <source>Allow unencrypted HTTP to other computers (not recommended)</source>
        <translation>允许以未加密的 HTTP 连接其他计算机（不推荐）</translation>
    </message>
    <message>
        <source>Certificate authority file</source>
        <translation>证书颁发机构文件</translation>
    </message>
    <message>
        <source>Certificates (*.pem *.crt *.cer);;All files (*)</source>
        <translation>证书 (*.pem *.crt *.cer);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>正在登录…</translation>
    </message>
    <message>
        <source>Enter the server address as http://host or https://host, with an optional :port — for example https://citypatrol.example.gov.cn:8443</source>
        <translation>请按 http://主机 或 https://主机 的格式填写服务器地址，可加 :端口——例如 https://citypatrol.example.gov.cn:8443</translation>
    </message>
    <message>
        <source>Enter your user name and password.</source>
        <translation>请输入用户名和密码。</translation>
    </message>
    <message>
        <source>Wrong user name or password. Check them and try again.</source>
        <translation>用户名或密码错误，请检查后重试。</translation>
    </message>
    <message>
        <source>Cannot reach the server at %1. Check the address and your network connection, then try again.</source>
        <translation>无法连接服务器 %1。请检查地址和网络连接后重试。</translation>
    </message>
    <message>
        <source>Too many failed attempts. Wait a few minutes, then try again.</source>
        <translation>失败次数过多，请等待几分钟后再试。</translation>
    </message>
    <message>
        <source>The server has a problem right now. Try again in a moment.</source>
        <translation>服务器暂时出现问题，请稍后再试。</translation>
    </message>
    <message>
        <source>Sign-in failed: %1</source>
        <translation>登录失败：%1</translation>
    </message>
</context>
<context>
    <name>StorePanel</name>
    <message>
        <source>Re&amp;fresh</source>
        <translation>刷新(&amp;F)</translation>
    </message>
</context>
<context>
    <name>SupervisorMapPanel</name>
    <message>
        <source>Status</source>
        <extracomment>The period filter's choices: days back from now (None: any time). A case marker was clicked: open its history.</extracomment>
        <translation>状态</translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>All categories</source>
        <translation>全部类别</translation>
    </message>
    <message>
        <source>Department</source>
        <translation>部门</translation>
    </message>
    <message>
        <source>All departments</source>
        <translation>全部部门</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>时段</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>全部时间</translation>
    </message>
    <message numerus="yes">
        <source>Last %n day(s)</source>
        <translation>
            <numerusform>最近 %n 天</numerusform>
        </translation>
    </message>
    <message>
        <source>Overdue only</source>
        <translation>仅超期</translation>
    </message>
    <message>
        <source>Density</source>
        <translation>密度</translation>
    </message>
    <message>
        <source>Show where problems concentrate (a heat map of the cases shown)</source>
        <translation>显示问题集中的区域（所示案件的热力图）</translation>
    </message>
    <message>
        <source>Patrol tracks</source>
        <translation>巡查轨迹</translation>
    </message>
    <message>
        <source>No patrol tracks</source>
        <translation>不显示巡查轨迹</translation>
    </message>
    <message>
        <source>Tracks of every inspector</source>
        <translation>全部监督员的轨迹</translation>
    </message>
    <message>
        <source>Day of the patrol tracks</source>
        <translation>轨迹日期</translation>
    </message>
    <message>
        <source>Dispatched cases by their deadline: green under 80 % of the time limit, yellow 80–100 %, red overdue; other cases by status. A count ringed in red holds an overdue case.</source>
        <translation>已派遣案件按处置时限着色：绿色为已用时限不足 80%，黄色为 80–100%，红色为超期；其他案件按状态着色。红圈数字表示其中有超期案件。</translation>
    </message>
    <message>
        <source>Patrol tracks:</source>
        <translation>巡查轨迹：</translation>
    </message>
    <message numerus="yes">
        <source>%n track point(s) that day</source>
        <translation>
            <numerusform>当天轨迹点 %n 个</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n case(s) on the map</source>
        <translation>
            <numerusform>地图上有 %n 个案件</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SyncStatusWidget</name>
    <message>
        <source>Details…</source>
        <extracomment>The "Sync now" button was clicked (``bind`` connects it to the controller).</extracomment>
        <translation>详情…</translation>
    </message>
    <message>
        <source>Sync now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <source>Send your work to the server and fetch updates now</source>
        <translation>立即把工作上传到服务器并获取更新</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Checking whether the server can be reached</source>
        <translation>正在检查能否连接服务器</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>The server can be reached: your work is sent automatically</source>
        <translation>服务器可以连接：您的工作会自动上传</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>Working offline: everything is saved on this laptop and is sent automatically when the server can be reached again</source>
        <translation>离线工作中：所有内容都已保存在本机，能连接服务器时会自动上传</translation>
    </message>
    <message>
        <source>Photos waiting: %1 MB</source>
        <translation>待上传照片：%1 MB</translation>
    </message>
    <message>
        <source>Never synced</source>
        <translation>尚未同步</translation>
    </message>
    <message>
        <source>Last sync %1</source>
        <translation>上次同步 %1</translation>
    </message>
    <message numerus="yes">
        <source>%n change(s)</source>
        <translation>
            <numerusform>%n 项变更</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s)</source>
        <translation>
            <numerusform>%n 张照片</numerusform>
        </translation>
    </message>
    <message>
        <source>%1, %2 waiting</source>
        <translation>%1、%2待上传</translation>
    </message>
    <message>
        <source>%1 waiting</source>
        <translation>%1待上传</translation>
    </message>
    <message>
        <source>All delivered</source>
        <translation>已全部上传</translation>
    </message>
    <message numerus="yes">
        <source>%n need(s) attention</source>
        <translation>
            <numerusform>%n 项需要处理</numerusform>
        </translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>同步中…</translation>
    </message>
    <message>
        <source>Photo %1/%2 · %3/%4 MB</source>
        <translation>照片 %1/%2 · %3/%4 MB</translation>
    </message>
    <message>
        <source>Basemap %1 · %2/%3 MB</source>
        <translation>底图 %1 · %2/%3 MB</translation>
    </message>
    <message>
        <source>Sending changes %1/%2</source>
        <translation>正在上传变更 %1/%2</translation>
    </message>
    <message>
        <source>Receiving updates…</source>
        <translation>正在接收更新…</translation>
    </message>
    <message>
        <source>Not signed in</source>
        <translation>尚未登录</translation>
    </message>
    <message>
        <source>Sign in to a server to sync.</source>
        <translation>请登录服务器以同步。</translation>
    </message>
    <message>
        <source>Session expired</source>
        <translation>登录已过期</translation>
    </message>
    <message>
        <source>Sign in again.</source>
        <translation>请重新登录。</translation>
    </message>
    <message>
        <source>Cannot reach the server</source>
        <translation>无法连接服务器</translation>
    </message>
    <message>
        <source>Will retry automatically.</source>
        <translation>稍后会自动重试。</translation>
    </message>
    <message>
        <source>Sync interrupted</source>
        <translation>同步中断</translation>
    </message>
    <message>
        <source>The server refused a request</source>
        <translation>服务器拒绝了请求</translation>
    </message>
    <message>
        <source>Open the case to see why.</source>
        <translation>请打开案件查看原因。</translation>
    </message>
    <message>
        <source>The server refused some changes</source>
        <translation>服务器拒收了部分变更</translation>
    </message>
    <message>
        <source>Some edits conflict with the office's decisions</source>
        <translation>部分修改与办公室的处理冲突</translation>
    </message>
    <message>
        <source>Photos held back on a metered connection</source>
        <translation>按流量计费的网络下照片暂缓上传</translation>
    </message>
    <message>
        <source>Change this in Settings.</source>
        <translation>可在“设置”中更改。</translation>
    </message>
    <message>
        <source>Sync did not finish</source>
        <translation>同步未完成</translation>
    </message>
    <message>
        <source>Sync</source>
        <translation>同步</translation>
    </message>
</context>
<context>
    <name>TemplateEditor</name>
    <message>
        <source>Checklist template</source>
        <extracomment>The server stored the edit (the version now on this laptop too). Every check of the edit (live validation), with the problems found (empty: valid).</extracomment>
        <translation>检查表模板</translation>
    </message>
    <message>
        <source>the sum of the items' points</source>
        <translation>各检查项分值之和</translation>
    </message>
    <message>
        <source>Code:</source>
        <translation>代码：</translation>
    </message>
    <message>
        <source>Version:</source>
        <translation>版本：</translation>
    </message>
    <message>
        <source>Name (Chinese):</source>
        <translation>名称（中文）：</translation>
    </message>
    <message>
        <source>Name (English):</source>
        <translation>名称（英文）：</translation>
    </message>
    <message>
        <source>Object kind:</source>
        <translation>检查对象类型：</translation>
    </message>
    <message>
        <source>Total points:</source>
        <translation>总分：</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>Text (Chinese)</source>
        <translation>内容（中文）</translation>
    </message>
    <message>
        <source>Text (English)</source>
        <translation>内容（英文）</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>分值</translation>
    </message>
    <message>
        <source>Deduction each</source>
        <translation>每处扣分</translation>
    </message>
    <message>
        <source>Cap</source>
        <translation>扣分上限</translation>
    </message>
    <message>
        <source>Veto (一票否决)</source>
        <translation>一票否决</translation>
    </message>
    <message>
        <source>Add &amp;section</source>
        <translation>添加分组(&amp;S)</translation>
    </message>
    <message>
        <source>Add &amp;item</source>
        <translation>添加检查项(&amp;I)</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>删除(&amp;R)</translation>
    </message>
    <message>
        <source>Move &amp;up</source>
        <translation>上移(&amp;U)</translation>
    </message>
    <message>
        <source>Move &amp;down</source>
        <translation>下移(&amp;D)</translation>
    </message>
    <message>
        <source>Double-click a cell to edit it. An empty deduction or cap means the item's points; tick the veto of an item that fails the whole check.</source>
        <translation>双击单元格进行编辑。每处扣分或扣分上限留空即为该项分值；一旦出现即整次检查不合格的检查项，请勾选“一票否决”。</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>校验</translation>
    </message>
    <message>
        <source>Most deducted per section</source>
        <translation>各分组最多扣分</translation>
    </message>
    <message>
        <source>Save to &amp;file…</source>
        <translation>保存到文件(&amp;F)…</translation>
    </message>
    <message>
        <source>&amp;Publish</source>
        <translation>发布(&amp;P)</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message numerus="yes">
        <source>%n problem(s) to fix before publishing</source>
        <translation>
            <numerusform>发布前需修正 %n 个问题</numerusform>
        </translation>
    </message>
    <message>
        <source>No problems: ready to publish</source>
        <translation>没有问题，可以发布</translation>
    </message>
    <message>
        <source>Shown once the problems are fixed.</source>
        <translation>修正问题后显示。</translation>
    </message>
    <message>
        <source>%1 %2: at most %3 of its %4 points</source>
        <translation>%1 %2：%4 分中最多扣 %3 分</translation>
    </message>
    <message>
        <source>; veto %1 makes the score 0</source>
        <translation>；出现一票否决项 %1 则得 0 分</translation>
    </message>
    <message>
        <source>%1 %2: veto %3 makes the score 0</source>
        <translation>%1 %2：出现一票否决项 %3 则得 0 分</translation>
    </message>
    <message>
        <source>Total: %1 points</source>
        <translation>总分：%1 分</translation>
    </message>
    <message>
        <source>Fix the problems listed first: nothing was published.</source>
        <translation>请先修正所列问题：未发布任何内容。</translation>
    </message>
    <message>
        <source>Publishing…</source>
        <translation>正在发布…</translation>
    </message>
    <message>
        <source>Published %1 version %2: it reaches every laptop with its next sync.</source>
        <translation>已发布“%1”第 %2 版：各终端下次同步时收到。</translation>
    </message>
    <message>
        <source>%1 version %2 was on the server already, exactly so: nothing changed.</source>
        <translation>服务器上已有内容完全相同的“%1”第 %2 版：未作更改。</translation>
    </message>
    <message>
        <source>Not published: your edit is still here.</source>
        <translation>未发布：您的修改仍保留在此。</translation>
    </message>
    <message>
        <source>The server found problems in the checklist (listed): %1</source>
        <translation>服务器发现检查表有问题（已列出）：%1</translation>
    </message>
    <message>
        <source>Someone published this version first. Set the version to %2 to publish your edit after theirs. %1</source>
        <translation>已有人先发布了这一版本。请将版本号改为 %2，在其之后发布您的修改。%1</translation>
    </message>
    <message>
        <source>No connection to the server; publish again when online. %1</source>
        <translation>无法连接服务器；联网后请再次发布。%1</translation>
    </message>
    <message>
        <source>Sign in as an administrator to publish. %1</source>
        <translation>请以管理员身份登录后发布。%1</translation>
    </message>
    <message>
        <source>The server refused the checklist. %1</source>
        <translation>服务器拒绝了该检查表。%1</translation>
    </message>
    <message>
        <source>Save checklist</source>
        <extracomment>The editor tree's columns.</extracomment>
        <translation>保存检查表</translation>
    </message>
    <message>
        <source>Checklists (*.json *.yaml *.yml)</source>
        <translation>检查表 (*.json *.yaml *.yml)</translation>
    </message>
    <message>
        <source>Saved to %1</source>
        <translation>已保存到 %1</translation>
    </message>
</context>
<context>
    <name>UpdateDialog</name>
    <message>
        <source>Update available</source>
        <translation>有新版本</translation>
    </message>
    <message>
        <source>CityPatrol %1 is available; this computer has %2.</source>
        <translation>城市巡查 %1 已发布；本机为 %2。</translation>
    </message>
    <message>
        <source>The installer (%1 MB) is downloaded through your server and checked. Nothing is installed until you run it yourself.</source>
        <translation>安装包（%1 MB）经由本市服务器下载并校验。在您亲自运行安装包之前，不会安装任何内容。</translation>
    </message>
    <message>
        <source>&amp;Download</source>
        <translation>下载(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Open folder</source>
        <translation>打开所在文件夹(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Later</source>
        <translation>以后再说(&amp;L)</translation>
    </message>
    <message>
        <source>Downloading…</source>
        <translation>正在下载…</translation>
    </message>
    <message>
        <source>Downloading… %1 of %2 MB</source>
        <translation>正在下载… %1 / %2 MB</translation>
    </message>
    <message>
        <source>Saved and checked: %1
To update, close CityPatrol and run this installer.</source>
        <translation>已保存并通过校验：%1
如需更新，请关闭城市巡查后运行此安装包。</translation>
    </message>
    <message>
        <source>&amp;Close</source>
        <translation>关闭(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Try again</source>
        <translation>重试(&amp;T)</translation>
    </message>
</context>
<context>
    <name>UpdateNotifier</name>
    <message>
        <source>Check for &amp;updates…</source>
        <translation>检查更新(&amp;U)…</translation>
    </message>
    <message>
        <source>Update %1 available</source>
        <translation>有新版本 %1</translation>
    </message>
    <message>
        <source>A newer CityPatrol is offered by your server: click to download it</source>
        <translation>服务器提供了较新的城市巡查版本：点击下载</translation>
    </message>
    <message>
        <source>Check for updates</source>
        <translation>检查更新</translation>
    </message>
    <message>
        <source>CityPatrol %1 is the newest version your server offers.</source>
        <translation>城市巡查 %1 已是服务器提供的最新版本。</translation>
    </message>
</context>
<context>
    <name>_PathRow</name>
    <message>
        <source>C&amp;hoose…</source>
        <translation>选择(&amp;H)…</translation>
    </message>
</context>
</TS>