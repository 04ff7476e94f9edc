// Demo modules and records: contacts, accounts and deals with labels, types and references
// (contacts.account → accounts, contacts.owner → a user, deals.related_contacts many_to_many).
// Written through the services, so demo data obeys the same rules as API data.
import type { PrismaClient } from "../generated/prisma/client.js";
import { Viewer } from "../identity/viewer.js";
import { ModuleService } from "./modules.service.js";
import { recordRestId, userRestId } from "./records.inputs.js";
import { RecordService } from "./records.service.js";

export async function seedRecordsDemo(prisma: PrismaClient, organizationId: string, ownerUserId: string) {
  const organization = await prisma.organization.findUniqueOrThrow({ where: { id: organizationId } });
  const owner = await prisma.user.findUniqueOrThrow({ where: { id: ownerUserId } });
  const viewer = Viewer.system(
    { id: organization.id, name: organization.name },
    { id: owner.id, displayName: owner.displayName, email: owner.email, role: owner.role },
  );
  const modules = new ModuleService(prisma, viewer);
  const records = new RecordService(prisma, viewer, modules);

  await modules.create({
    slug: "accounts",
    name: "Accounts",
    fields: [
      { slug: "name", label: "Name", type: "text", required: true },
      {
        slug: "industry",
        label: "Industry",
        type: "select",
        options: ["Technology", "Finance", "Healthcare", "Retail"],
      },
      { slug: "segment", label: "Segment", type: "select", options: ["Enterprise", "Mid-Market", "Startup"] },
      { slug: "website", label: "Website", type: "url" },
      { slug: "annual_revenue", label: "Annual revenue", type: "currency" },
    ],
    displayFields: ["name"],
    subtitleFields: ["industry", "segment"],
  });
  await modules.create({
    slug: "contacts",
    name: "Contacts",
    fields: [
      { slug: "name", label: "Name", type: "text", required: true },
      { slug: "email", label: "E-mail", type: "email" },
      { slug: "phone", label: "Phone", type: "phone" },
      { slug: "company", label: "Company", type: "text" },
      { slug: "job_title", label: "Job title", type: "text" },
      { slug: "deal_value", label: "Deal value", type: "currency" },
      { slug: "status", label: "Status", type: "select", options: ["lead", "active", "customer", "churned"] },
      { slug: "priority", label: "Priority", type: "select", options: ["low", "medium", "high"] },
      {
        slug: "source",
        label: "Source",
        type: "select",
        options: ["conference", "website", "referral", "outbound"],
      },
      { slug: "tags", label: "Tags", type: "multi_select", options: ["vip", "newsletter", "partner"] },
      { slug: "do_not_call", label: "Do not call", type: "boolean" },
      { slug: "last_contacted", label: "Last contacted", type: "date" },
      { slug: "notes", label: "Notes", type: "long_text" },
      { slug: "account", label: "Account", type: "reference", targetModuleSlug: "accounts" },
      { slug: "owner", label: "Owner", type: "user" },
    ],
    displayFields: ["name"],
    subtitleFields: ["job_title", "company"],
  });
  await modules.create({
    slug: "deals",
    name: "Deals",
    fields: [
      { slug: "name", label: "Name", type: "text", required: true },
      { slug: "amount", label: "Amount", type: "currency" },
      {
        slug: "stage",
        label: "Stage",
        type: "select",
        options: ["prospect", "proposal", "negotiation", "won", "lost"],
      },
      { slug: "close_date", label: "Close date", type: "date" },
      { slug: "closed_at", label: "Closed at", type: "datetime" },
      { slug: "account", label: "Account", type: "reference", targetModuleSlug: "accounts" },
      {
        slug: "related_contacts",
        label: "Related contacts",
        type: "reference",
        targetModuleSlug: "contacts",
        relationshipType: "many_to_many",
      },
    ],
  });

  const accounts: Record<string, string> = {};
  for (const [name, industry, segment, annual_revenue] of [
    ["Acme Corporation", "Technology", "Enterprise", 120_000_000],
    ["Acme Startup Labs", "Technology", "Startup", 2_500_000],
    ["Globex Finance", "Finance", "Mid-Market", 40_000_000],
  ] as const) {
    const row = await records.create("accounts", {
      fields: {
        name,
        industry,
        segment,
        annual_revenue,
        website: `https://${name.split(" ")[0]!.toLowerCase()}.example`,
      },
      typeIds: ["type_customer"],
    });
    accounts[name] = recordRestId(row.id);
  }

  const others = await prisma.user.findMany({ where: { organizationId }, orderBy: { createdAt: "asc" } });
  const ownerOf = (index: number) => userRestId((others[index % others.length] ?? owner).id);
  const contacts: string[] = [];
  const people = [
    ["John Smith", "john.smith@acme.example", "active", "high", 150_000, "Acme Corporation", "CEO"],
    ["Jane Doe", "jane.doe@acme.example", "active", "medium", 75_000, "Acme Corporation", "VP of Sales"],
    ["Alice Johnson", "alice@startuplabs.example", "lead", "high", 20_000, "Acme Startup Labs", "CTO"],
    ["Bob Wilson", "bob.wilson@globex.example", "customer", "low", 50_000, "Globex Finance", "CFO"],
    ["Carol Martinez", "carol@globex.example", "churned", "low", 0, "Globex Finance", "Analyst"],
  ] as const;
  for (const [index, [name, email, status, priority, deal_value, company, job_title]] of people.entries()) {
    const row = await records.create("contacts", {
      fields: {
        name,
        email,
        status,
        priority,
        deal_value,
        company,
        job_title,
        phone: `+1 (555) 010-00${index}`,
        source: index % 2 === 0 ? "conference" : "website",
        tags: index === 0 ? ["vip"] : [],
        last_contacted: `2024-01-${String(10 + index).padStart(2, "0")}`,
        account: accounts[company],
        owner: ownerOf(index),
      },
      labelIds: index < 2 ? ["lbl_vip"] : [],
      typeIds: [status === "lead" ? "type_lead" : "type_customer"],
      descriptionHtml: `<p>${job_title} at ${company}.</p>`,
    });
    contacts.push(recordRestId(row.id));
  }

  for (const [name, amount, stage, account, related] of [
    ["Acme enterprise renewal", 150_000, "negotiation", "Acme Corporation", [0, 1]],
    ["Startup Labs pilot", 20_000, "proposal", "Acme Startup Labs", [2]],
    ["Globex expansion", 50_000, "won", "Globex Finance", [3, 4]],
  ] as const) {
    await records.create("deals", {
      fields: {
        name,
        amount,
        stage,
        close_date: "2024-03-31",
        ...(stage === "won" ? { closed_at: "2024-02-15T10:00:00Z" } : {}),
        account: accounts[account],
        related_contacts: related.map((i) => contacts[i]),
      },
      labelIds: stage === "won" ? ["lbl_closed"] : ["lbl_open"],
      typeIds: ["type_new_business"],
    });
  }
}
