-- CreateTable
CREATE TABLE "ItemProperty" (
    "id" SERIAL NOT NULL,
    "tenantId" INTEGER NOT NULL,
    "typeId" INTEGER NOT NULL,
    "systemName" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "required" BOOLEAN NOT NULL DEFAULT false,
    "unique" BOOLEAN NOT NULL DEFAULT false,
    "multiple" BOOLEAN NOT NULL DEFAULT false,
    "defaultValue" TEXT,
    "options" TEXT NOT NULL DEFAULT '{}',
    "position" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ItemProperty_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Item" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "tenantId" INTEGER NOT NULL,
    "typeId" INTEGER NOT NULL,
    "data" TEXT NOT NULL,
    "createdOn" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" INTEGER,
    "updatedOn" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedBy" INTEGER,

    CONSTRAINT "Item_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ItemValue" (
    "itemId" INTEGER NOT NULL,
    "propertyId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "text" TEXT,
    "num" DOUBLE PRECISION,

    CONSTRAINT "ItemValue_pkey" PRIMARY KEY ("itemId","propertyId","position")
);

-- CreateTable
CREATE TABLE "ItemUnique" (
    "propertyId" INTEGER NOT NULL,
    "value" TEXT NOT NULL,
    "itemId" INTEGER NOT NULL,

    CONSTRAINT "ItemUnique_pkey" PRIMARY KEY ("propertyId","value")
);

-- CreateTable
CREATE TABLE "ReadAudit" (
    "id" SERIAL NOT NULL,
    "tenantId" INTEGER NOT NULL,
    "typeId" INTEGER NOT NULL,
    "itemId" INTEGER NOT NULL,
    "userId" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReadAudit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ItemProperty_tenantId_idx" ON "ItemProperty"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "ItemProperty_typeId_systemName_key" ON "ItemProperty"("typeId", "systemName");

-- CreateIndex
CREATE UNIQUE INDEX "Item_uuid_key" ON "Item"("uuid");

-- CreateIndex
CREATE INDEX "Item_typeId_id_idx" ON "Item"("typeId", "id");

-- CreateIndex
CREATE INDEX "Item_typeId_createdOn_id_idx" ON "Item"("typeId", "createdOn", "id");

-- CreateIndex
CREATE INDEX "Item_typeId_updatedOn_id_idx" ON "Item"("typeId", "updatedOn", "id");

-- CreateIndex
CREATE INDEX "Item_typeId_createdBy_id_idx" ON "Item"("typeId", "createdBy", "id");

-- CreateIndex
CREATE INDEX "Item_typeId_updatedBy_id_idx" ON "Item"("typeId", "updatedBy", "id");

-- CreateIndex
CREATE INDEX "ItemValue_propertyId_text_itemId_idx" ON "ItemValue"("propertyId", "text", "itemId");

-- CreateIndex
CREATE INDEX "ItemValue_propertyId_num_itemId_idx" ON "ItemValue"("propertyId", "num", "itemId");

-- CreateIndex
CREATE INDEX "ItemUnique_itemId_idx" ON "ItemUnique"("itemId");

-- CreateIndex
CREATE INDEX "ReadAudit_tenantId_typeId_at_idx" ON "ReadAudit"("tenantId", "typeId", "at");

-- AddForeignKey
ALTER TABLE "ItemProperty" ADD CONSTRAINT "ItemProperty_typeId_fkey" FOREIGN KEY ("typeId") REFERENCES "ItemType"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Item" ADD CONSTRAINT "Item_typeId_fkey" FOREIGN KEY ("typeId") REFERENCES "ItemType"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ItemValue" ADD CONSTRAINT "ItemValue_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "Item"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ItemUnique" ADD CONSTRAINT "ItemUnique_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "Item"("id") ON DELETE CASCADE ON UPDATE CASCADE;
