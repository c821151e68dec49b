<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
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
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>CityPatrol</source>
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
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Search:</source>
        <translation>搜索：</translation>
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
        <source>Unexpected error: %1</source>
        <translation>意外错误：%1</translation>
    </message>
</context>
</TS>
