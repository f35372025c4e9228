// xlb2b ribbon commands for an xlwings Server app: copy to the app's static/js/ribbon.js.
// Each <FunctionName> of udfs/server/manifest_ribbon.xml runs the script of
// udfs.server.custom_scripts with the same button tag (udfs.scripts.BUTTONS).
const XLB2B_BUTTONS = {
  "xlb2b-analyze": "analyze_client_base",
  "xlb2b-adp": "build_adp",
  "xlb2b-adp-a": "build_adps_a",
  "xlb2b-bcg": "add_bcg_scoring",
  "xlb2b-checklist": "add_progress_checklist",
  "xlb2b-refresh": "refresh",
  "xlb2b-settings": "open_settings",
  "xlb2b-help": "show_help",
  "xlb2b-fill-template": "fill_template_for_client",
  "xlb2b-refresh-report": "refresh_report_tables",
};

for (const [functionName, scriptName] of Object.entries(XLB2B_BUTTONS)) {
  Office.actions.associate(functionName, async (event) => {
    try {
      const auth =
        typeof globalThis.getAuth === "function"
          ? await globalThis.getAuth()
          : { token: "", provider: "" };
      await xlwings.runPython({
        auth: auth.token,
        scriptName: scriptName,
        headers: { "Auth-Provider": auth.provider },
      });
    } finally {
      event.completed();
    }
  });
}
