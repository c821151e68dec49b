<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en_US">
<context>
    <name>BasemapSettings</name>
    <message numerus="yes">
        <source>Added %n layer(s).</source>
        <translation>
            <numerusform>Added %n layer.</numerusform>
            <numerusform>Added %n layers.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CaseEditor</name>
    <message numerus="yes">
        <source>%n field(s) need attention before the case can be submitted.</source>
        <translation>
            <numerusform>%n field need attention before the case can be submitted.</numerusform>
            <numerusform>%n fields need attention before the case can be submitted.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Possibly already reported: %n case(s) within %1 m</source>
        <translation>
            <numerusform>Possibly already reported: %n case within %1 m</numerusform>
            <numerusform>Possibly already reported: %n cases within %1 m</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CategoryPicker</name>
    <message numerus="yes">
        <source>%n case(s) of yours</source>
        <translation>
            <numerusform>%n case of yours</numerusform>
            <numerusform>%n cases of yours</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ChecklistsPanel</name>
    <message numerus="yes">
        <source>%n template(s)</source>
        <translation>
            <numerusform>%n template</numerusform>
            <numerusform>%n templates</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CoveragePanel</name>
    <message numerus="yes">
        <source>%n inspector(s), %1 km patrolled; no grid cells yet</source>
        <translation>
            <numerusform>%n inspector, %1 km patrolled; no grid cells yet</numerusform>
            <numerusform>%n inspectors, %1 km patrolled; no grid cells yet</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n inspector(s), %1 km patrolled; %2 of the cells visited, %3 not</source>
        <translation>
            <numerusform>%n inspector, %1 km patrolled; %2 of the cells visited, %3 not</numerusform>
            <numerusform>%n inspectors, %1 km patrolled; %2 of the cells visited, %3 not</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message numerus="yes">
        <source>Exported %n case(s) to %1 (%2 MB).</source>
        <translation>
            <numerusform>Exported %n case to %1 (%2 MB).</numerusform>
            <numerusform>Exported %n cases to %1 (%2 MB).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>HandledDialog</name>
    <message numerus="yes">
        <source>At least %n photo(s) required.</source>
        <translation>
            <numerusform>At least %n photo required.</numerusform>
            <numerusform>At least %n photos required.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LoopSection</name>
    <message numerus="yes">
        <source>%n more</source>
        <translation>
            <numerusform>%n more</numerusform>
            <numerusform>%n more</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>%n case(s)</source>
        <translation>
            <numerusform>%n case</numerusform>
            <numerusform>%n cases</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MapPanel</name>
    <message numerus="yes">
        <source>%n case(s) on the map</source>
        <translation>
            <numerusform>%n case on the map</numerusform>
            <numerusform>%n cases on the map</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PhotoStrip</name>
    <message numerus="yes">
        <source>%n file(s) could not be added:</source>
        <translation>
            <numerusform>%n file could not be added:</numerusform>
            <numerusform>%n files could not be added:</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>…and %n more</source>
        <translation>
            <numerusform>…and %n more</numerusform>
            <numerusform>…and %n more</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ReviewPanel</name>
    <message numerus="yes">
        <source>%n case(s) waiting for review</source>
        <translation>
            <numerusform>%n case waiting for review</numerusform>
            <numerusform>%n cases waiting for review</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s)</source>
        <translation>
            <numerusform>%n photo</numerusform>
            <numerusform>%n photos</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Accepted %n case(s).</source>
        <translation>
            <numerusform>Accepted %n case.</numerusform>
            <numerusform>Accepted %n cases.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RoundsPanel</name>
    <message numerus="yes">
        <source>%n round(s) today and this week</source>
        <translation>
            <numerusform>%n round today and this week</numerusform>
            <numerusform>%n rounds today and this week</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n done</source>
        <translation>
            <numerusform>%n done</numerusform>
            <numerusform>%n done</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SupervisorMapPanel</name>
    <message numerus="yes">
        <source>Last %n day(s)</source>
        <translation>
            <numerusform>Last %n day</numerusform>
            <numerusform>Last %n days</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n track point(s) that day</source>
        <translation>
            <numerusform>%n track point that day</numerusform>
            <numerusform>%n track points that day</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n case(s) on the map</source>
        <translation>
            <numerusform>%n case on the map</numerusform>
            <numerusform>%n cases on the map</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SyncStatusWidget</name>
    <message numerus="yes">
        <source>%n change(s)</source>
        <translation>
            <numerusform>%n change</numerusform>
            <numerusform>%n changes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s)</source>
        <translation>
            <numerusform>%n photo</numerusform>
            <numerusform>%n photos</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n need(s) attention</source>
        <translation>
            <numerusform>%n need attention</numerusform>
            <numerusform>%n needs attention</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TemplateEditor</name>
    <message numerus="yes">
        <source>%n problem(s) to fix before publishing</source>
        <translation>
            <numerusform>%n problem to fix before publishing</numerusform>
            <numerusform>%n problems to fix before publishing</numerusform>
        </translation>
    </message>
</context>
</TS>