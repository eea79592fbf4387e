-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Tag" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tenantId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "nameFolded" TEXT NOT NULL DEFAULT '',
    "description" TEXT,
    "parentId" INTEGER,
    "private" BOOLEAN NOT NULL DEFAULT false,
    "ownerId" INTEGER,
    "createdOn" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" INTEGER,
    "updatedOn" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Tag_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Tag_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Tag" ("id") ON DELETE NO ACTION ON UPDATE CASCADE
);
INSERT INTO "new_Tag" ("createdBy", "createdOn", "description", "id", "name", "ownerId", "parentId", "private", "tenantId", "updatedOn") SELECT "createdBy", "createdOn", "description", "id", "name", "ownerId", "parentId", "private", "tenantId", "updatedOn" FROM "Tag";
DROP TABLE "Tag";
ALTER TABLE "new_Tag" RENAME TO "Tag";
CREATE INDEX "Tag_tenantId_parentId_idx" ON "Tag"("tenantId", "parentId");
CREATE INDEX "Tag_tenantId_name_idx" ON "Tag"("tenantId", "name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- Existing tags: fold their names (new names are folded by the server, Unicode-aware).
UPDATE "Tag" SET "nameFolded" = LOWER("name");
