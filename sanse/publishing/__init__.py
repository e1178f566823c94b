"""The bulletin 《每日工作动态》 and a period's 通报 (design §5): the issue, its numbering and prose,
publishing, and the 公文 exports."""
